package io.tavo.sdk.resources;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.tavo.sdk.internal.ApiClient;
import io.tavo.sdk.internal.ApiRequest;
import io.tavo.sdk.models.AuditLog;

/**
 * {@code client.auditLog()} (the admin role): users, keys, repository secrets and credentials, webhooks,
 * schedules, triage and deletions, newest first.
 */
public final class AuditLogResource extends Resource {
    public AuditLogResource(ApiClient api) {
        super(api);
    }

    public AuditLog listAuditLog() { return await(() -> listAuditLogAsync(null, null, null, null, null)); }

    /** Entries newest first; {@code action} is a prefix ("webhook."); any argument may be null. */
    public AuditLog listAuditLog(String action, String targetId, Integer offset, Integer limit) {
        return await(() -> listAuditLogAsync(action, targetId, offset, limit, null));
    }

    /** ... and {@code actorUser}: a user's id (what that user did). */
    public AuditLog listAuditLog(String action, String targetId, Integer offset, Integer limit, String actorUser) {
        return await(() -> listAuditLogAsync(action, targetId, offset, limit, actorUser));
    }

    public CompletableFuture<AuditLog> listAuditLogAsync() { return listAuditLogAsync(null, null, null, null, null); }

    public CompletableFuture<AuditLog> listAuditLogAsync(String action, String targetId, Integer offset, Integer limit) {
        return listAuditLogAsync(action, targetId, offset, limit, null);
    }

    public CompletableFuture<AuditLog> listAuditLogAsync(String action, String targetId, Integer offset, Integer limit,
                                                         String actorUser) {
        Map<String, Object> query = new LinkedHashMap<>();
        query.put("action", action);
        query.put("target_id", targetId);
        query.put("offset", offset);
        query.put("limit", limit);
        query.put("actor_user", actorUser);
        return api.request(ApiRequest.get(ApiRequest.path("audit-log")).withQuery(query).uncached(), AuditLog.class);
    }
}
