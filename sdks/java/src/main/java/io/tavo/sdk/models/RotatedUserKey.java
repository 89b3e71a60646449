package io.tavo.sdk.models;

import io.tavo.sdk.internal.Required;

/**
 * The new key of a rotation ({@code key} shown once) and the key it replaces, which keeps working
 * until its {@code expiresAt} (the overlap).
 */
public record RotatedUserKey(@Required String id, @Required String prefix, @Required String role, String scope, String kind,
        String name, String userId, String orgId, String tier, String createdAt, String expiresAt, String revokedAt,
        String key, UserKey replaces) {}
