package io.tavo.sdk.models;

import io.tavo.sdk.internal.Required;

/** The user who acted, with their e-mail address at the time. */
public record AuditActor(@Required String id, String email) {}
