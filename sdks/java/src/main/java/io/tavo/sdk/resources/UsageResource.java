package io.tavo.sdk.resources;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.tavo.sdk.internal.ApiClient;
import io.tavo.sdk.internal.ApiRequest;
import io.tavo.sdk.models.Usage;

/** {@code client.usage()}: requests and scans by day, and the remaining rate-limit budgets. */
public final class UsageResource extends Resource {
    public UsageResource(ApiClient api) {
        super(api);
    }

    /** This key's usage over the last 30 days. */
    public Usage getUsage() { return await(() -> getUsageAsync(30, false)); }

    /** This key's usage over {@code days} days; the organisation's too when asked (admin keys). */
    public Usage getUsage(int days, boolean organization) { return await(() -> getUsageAsync(days, organization)); }

    public CompletableFuture<Usage> getUsageAsync() { return getUsageAsync(30, false); }

    public CompletableFuture<Usage> getUsageAsync(int days, boolean organization) {
        Map<String, Object> query = new LinkedHashMap<>();
        query.put("days", days);
        if (organization) {
            query.put("organization", "true");
        }
        return api.request(ApiRequest.get(ApiRequest.path("usage")).withQuery(query).uncached(), Usage.class);
    }
}
