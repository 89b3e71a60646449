package io.tavo.sdk.models;

import io.tavo.sdk.internal.Required;

/**
 * A person in the organisation. {@code role}: viewer reads, member also scans, triages and manages
 * repositories, webhooks and schedules, admin also manages users and reads the audit log.
 * {@code status}: invited until the invitation is accepted, then active.
 */
public record User(@Required String id, @Required String email, @Required String role, @Required String status,
        String orgId, String name, String tier, String invitedBy, String invitationExpiresAt, String createdAt,
        String updatedAt, String activatedAt) {}
