package io.tavo.sdk;

import java.util.List;

import io.tavo.sdk.internal.ApiClient;
import io.tavo.sdk.resources.AiAnalysis;
import io.tavo.sdk.resources.AuditLogResource;
import io.tavo.sdk.resources.UsageResource;
import io.tavo.sdk.resources.Users;
import io.tavo.sdk.resources.Findings;
import io.tavo.sdk.resources.Schedules;
import io.tavo.sdk.resources.Webhooks;
import io.tavo.sdk.resources.Repositories;
import io.tavo.sdk.resources.ScanBulkOperations;
import io.tavo.sdk.resources.ScanManagement;
import io.tavo.sdk.resources.ScanRules;

/**
 * The Tavo client: thread-safe; reuse one for many requests (it pools connections). Every resource
 * method blocks and has a {@code ...Async} twin returning a CompletableFuture.
 *
 * <pre>{@code
 * TavoClient client = TavoSdk.createClientBuilder("your-key")
 *     .withMaxConnections(50)
 *     .withConnectionTimeout(Duration.ofSeconds(10))
 *     .withReadTimeout(Duration.ofSeconds(30))
 *     .build();
 * ScanList scans = client.scanManagement().listScans();
 * }</pre>
 */
public final class TavoClient implements AutoCloseable {
    private final ApiClient api;
    private final ScanManagement scanManagement;
    private final Repositories repositories;
    private final AiAnalysis aiAnalysis;
    private final ScanRules scanRules;
    private final ScanBulkOperations scanBulkOperations;
    private final Findings findings;
    private final Webhooks webhooks;
    private final Schedules schedules;
    private final UsageResource usage;
    private final AuditLogResource auditLog;
    private final Users users;

    TavoClient(ApiClient api) {
        this.api = api;
        this.scanManagement = new ScanManagement(api);
        this.repositories = new Repositories(api);
        this.aiAnalysis = new AiAnalysis(api);
        this.scanRules = new ScanRules(api);
        this.scanBulkOperations = new ScanBulkOperations(api);
        this.findings = new Findings(api);
        this.webhooks = new Webhooks(api);
        this.schedules = new Schedules(api);
        this.usage = new UsageResource(api);
        this.auditLog = new AuditLogResource(api);
        this.users = new Users(api);
    }

    /** A builder with every setting from the environment or the defaults. */
    public static TavoClientBuilder builder() {
        return new TavoClientBuilder();
    }

    public ScanManagement scanManagement() { return scanManagement; }
    public Repositories repositories() { return repositories; }
    public AiAnalysis aiAnalysis() { return aiAnalysis; }
    public ScanRules scanRules() { return scanRules; }
    public ScanBulkOperations scanBulkOperations() { return scanBulkOperations; }
    /** Findings tracked across scans: their status, triage and history. */
    public Findings findings() { return findings; }
    /** Outbound webhooks and their deliveries. */
    public Webhooks webhooks() { return webhooks; }
    /** Scheduled scans. */
    public Schedules schedules() { return schedules; }
    /** Requests and scans by day, and the rate-limit windows now. */
    public UsageResource usage() { return usage; }
    /** The organisation's audit log (the admin role). */
    public AuditLogResource auditLog() { return auditLog; }
    /** People of the organisation, their roles, invitations, own keys and passwords. */
    public Users users() { return users; }

    /** The server's base URL (without /api/v1). */
    public String baseUrl() { return api.config().baseUrl(); }

    /** Requests total/failed, retries, rate limits hit, cache hits, latency percentiles. */
    public Metrics metrics() { return api.metrics(); }

    /** The circuit breaker, or null when none was configured. */
    public CircuitBreaker circuitBreaker() { return api.config().breaker(); }

    /** What is known of each API key's budget (from the last responses). */
    public List<KeyBudget> rateLimits() { return api.keys().snapshot(); }

    /** The bound on connections (and requests on the wire) at once. */
    public int maxConnections() { return api.transport().limiter().max(); }

    /** The most requests this client had on the wire at once (never above maxConnections). */
    public int peakConnectionsInUse() { return api.transport().limiter().peak(); }

    /** Requests on the wire now. */
    public int connectionsInUse() { return api.transport().limiter().inUse(); }

    /** Forgets the cached responses (the next GETs go to the server). */
    public void clearCache() {
        if (api.cache() != null) {
            api.cache().clear();
        }
    }

    /**
     * Drops the cached responses. The JDK's HttpClient (Java 17) has no close: its pooled connections
     * go when the client is no longer referenced; an executor given to the builder stays the caller's.
     */
    @Override
    public void close() {
        clearCache();
    }

    @Override
    public String toString() {
        return "TavoClient(baseUrl=" + baseUrl() + ")";
    }
}
