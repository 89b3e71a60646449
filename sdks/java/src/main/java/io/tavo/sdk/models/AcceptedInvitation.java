package io.tavo.sdk.models;

import io.tavo.sdk.internal.Required;

/** The now active user and their first key ({@code key().key()}, shown once). */
public record AcceptedInvitation(@Required User user, @Required UserKey key) {}
