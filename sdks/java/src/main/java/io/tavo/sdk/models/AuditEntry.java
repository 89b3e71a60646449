package io.tavo.sdk.models;

import java.util.Map;

import io.tavo.sdk.internal.Required;

/** Who ({@code actor}: a key id) did what ({@code action}, e.g. webhook.created) to which object. */
public record AuditEntry(long id, @Required String actor, @Required String action, @Required String targetType,
        String targetId, Map<String, Object> details, String at) {}
