package io.tavo.sdk.models;

import io.tavo.sdk.internal.Required;

/** The token the invited person accepts with (shown once) and when it expires. */
public record Invitation(@Required String token, String expiresAt) {}
