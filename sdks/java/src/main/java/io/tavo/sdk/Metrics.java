package io.tavo.sdk;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code client.metrics()}: counters and latency percentiles of one client, always on. Calls are
 * counted once however many attempts they took; {@code attempts} counts what went on the wire.
 * Latencies are of whole calls (retries and waits included), over the most recent calls.
 */
public final class Metrics {
    private final long[] latencies;
    private int latencyCount;
    private int latencyNext;
    private long requestsTotal;
    private long requestsFailed;
    private long attempts;
    private long retries;
    private long rateLimitsHit;
    private long rateLimitWaits;
    private long cacheHits;
    private long cacheRevalidations;
    private long bytesSent;
    private long bytesReceived;

    public Metrics() { this(Defaults.METRICS_LATENCY_WINDOW); }

    public Metrics(int window) {
        if (window < 1) {
            throw new IllegalArgumentException("window must be at least 1");
        }
        latencies = new long[window];
    }

    public synchronized void recordCall(long nanos, boolean failed) {
        requestsTotal++;
        if (failed) {
            requestsFailed++;
        }
        latencies[latencyNext] = nanos;
        latencyNext = (latencyNext + 1) % latencies.length;
        latencyCount = Math.min(latencyCount + 1, latencies.length);
    }

    public synchronized void recordAttempt(long sent, long received, Integer statusCode) {
        attempts++;
        bytesSent += sent;
        bytesReceived += received;
        if (statusCode != null && statusCode == 429) {
            rateLimitsHit++;
        }
    }

    public synchronized void recordRetry() { retries++; }
    public synchronized void recordRateLimitWait() { rateLimitWaits++; }

    public synchronized void recordCache(boolean hit, boolean revalidated) {
        if (hit) {
            cacheHits++;
        }
        if (revalidated) {
            cacheRevalidations++;
        }
    }

    public synchronized long requestsTotal() { return requestsTotal; }
    public synchronized long requestsFailed() { return requestsFailed; }
    public synchronized long attempts() { return attempts; }
    public synchronized long retries() { return retries; }
    /** 429 answers received. */
    public synchronized long rateLimitsHit() { return rateLimitsHit; }
    /** Times a call waited for a key's budget instead of sending. */
    public synchronized long rateLimitWaits() { return rateLimitWaits; }
    /** Answered from the cache, fresh or revalidated (304). */
    public synchronized long cacheHits() { return cacheHits; }
    public synchronized long cacheRevalidations() { return cacheRevalidations; }
    public synchronized long bytesSent() { return bytesSent; }
    public synchronized long bytesReceived() { return bytesReceived; }

    public synchronized double errorRate() {
        return requestsTotal == 0 ? 0.0 : (double) requestsFailed / requestsTotal;
    }

    /** The latency below which {@code fraction} of recent calls finished (zero when none). */
    public Duration percentile(double fraction) {
        long[] ordered;
        synchronized (this) {
            ordered = Arrays.copyOf(latencies, latencyCount);
        }
        if (ordered.length == 0) {
            return Duration.ZERO;
        }
        Arrays.sort(ordered);
        int index = (int) Math.min(ordered.length - 1, Math.max(0, Math.round(fraction * ordered.length) - 1));
        return Duration.ofNanos(ordered[index]);
    }

    public synchronized Duration averageLatency() {
        if (latencyCount == 0) {
            return Duration.ZERO;
        }
        long sum = 0;
        for (int i = 0; i < latencyCount; i++) {
            sum += latencies[i];
        }
        return Duration.ofNanos(sum / latencyCount);
    }

    /** Every figure as plain numbers (latencies in seconds), with the Python SDK's names. */
    public Map<String, Object> snapshot() {
        Map<String, Object> figures = new LinkedHashMap<>();
        synchronized (this) {
            figures.put("requests_total", requestsTotal);
            figures.put("requests_failed", requestsFailed);
            figures.put("attempts", attempts);
            figures.put("retries", retries);
            figures.put("rate_limits_hit", rateLimitsHit);
            figures.put("rate_limit_waits", rateLimitWaits);
            figures.put("cache_hits", cacheHits);
            figures.put("cache_revalidations", cacheRevalidations);
            figures.put("bytes_sent", bytesSent);
            figures.put("bytes_received", bytesReceived);
            figures.put("error_rate", errorRate());
        }
        figures.put("latency_avg", averageLatency().toNanos() / 1e9);
        figures.put("latency_p50", percentile(0.50).toNanos() / 1e9);
        figures.put("latency_p90", percentile(0.90).toNanos() / 1e9);
        figures.put("latency_p99", percentile(0.99).toNanos() / 1e9);
        return figures;
    }

    /** Back to zero (for example after a warm-up). */
    public synchronized void reset() {
        latencyCount = 0;
        latencyNext = 0;
        requestsTotal = requestsFailed = attempts = retries = rateLimitsHit = rateLimitWaits = 0;
        cacheHits = cacheRevalidations = bytesSent = bytesReceived = 0;
    }

    @Override
    public String toString() { return "Metrics" + snapshot(); }
}
