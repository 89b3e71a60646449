package io.tavo.sdk.models;

import java.util.Map;

import io.tavo.sdk.internal.Required;

/**
 * Who ({@code actor}: a key id; {@code actorUser}: the user whose key it is, null for an
 * organisation key) did what ({@code action}, e.g. webhook.created) to which object.
 */
public record AuditEntry(long id, @Required String actor, AuditActor actorUser, @Required String action, @Required String targetType,
        String targetId, Map<String, Object> details, String at) {}
