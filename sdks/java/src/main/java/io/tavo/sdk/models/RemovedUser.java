package io.tavo.sdk.models;

import io.tavo.sdk.internal.Required;

/** A user removed from the organisation, and how many of their keys were revoked. */
public record RemovedUser(@Required String id, @Required String email, @Required String role, @Required String status,
        String orgId, String name, String tier, String invitedBy, String invitationExpiresAt, String createdAt,
        String updatedAt, String activatedAt, int keysRevoked) {}
