package io.tavo.sdk.models;

import io.tavo.sdk.internal.Required;

/**
 * An API key of a user: it acts with {@code role} (never above the user's), within {@code scope}
 * (full, read-only, scans-only). {@code key} is set only in the answer that made it; {@code kind}
 * is session for a dashboard sign-in's key, else api.
 */
public record UserKey(@Required String id, @Required String prefix, @Required String role, String scope, String kind,
        String name, String userId, String orgId, String tier, String createdAt, String expiresAt, String revokedAt,
        String key) {}
