package io.tavo.sdk.models;

import io.tavo.sdk.internal.Required;

/** A user just invited (or re-invited), with the invitation to hand over. */
public record InvitedUser(@Required String id, @Required String email, @Required String role, @Required String status,
        String orgId, String name, String tier, String invitedBy, String invitationExpiresAt, String createdAt,
        String updatedAt, String activatedAt, Invitation invitation) {}
