package io.tavo.sdk;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code client.metrics()}: counters and latency percentiles of one client, always on. Calls are
 * counted once however many attempts they took; {@code attempts} counts what went on the wire.
 * Latencies are of whole calls (retries and waits included), over the most recent calls.
 */
public final class Metrics {
    // Counters are adders: many threads record at once without queueing on a lock.
    // The latest latencies, a ring written without a lock: a reader may find a slot just claimed
    // and not yet written (it holds an older latency, or zero), which percentiles can bear.
    private final AtomicLongArray latencies;
    private final AtomicLong latencyWrites = new AtomicLong();
    private final LongAdder requestsTotal = new LongAdder();
    private final LongAdder requestsFailed = new LongAdder();
    private final LongAdder attempts = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder rateLimitsHit = new LongAdder();
    private final LongAdder rateLimitWaits = new LongAdder();
    private final LongAdder cacheHits = new LongAdder();
    private final LongAdder cacheRevalidations = new LongAdder();
    private final LongAdder bytesSent = new LongAdder();
    private final LongAdder bytesReceived = new LongAdder();

    public Metrics() { this(Defaults.METRICS_LATENCY_WINDOW); }

    public Metrics(int window) {
        if (window < 1) {
            throw new IllegalArgumentException("window must be at least 1");
        }
        latencies = new AtomicLongArray(window);
    }

    public void recordCall(long nanos, boolean failed) {
        requestsTotal.increment();
        if (failed) {
            requestsFailed.increment();
        }
        long slot = latencyWrites.getAndIncrement();
        latencies.lazySet((int) (slot % latencies.length()), nanos);
    }

    public void recordAttempt(long sent, long received, Integer statusCode) {
        attempts.increment();
        bytesSent.add(sent);
        bytesReceived.add(received);
        if (statusCode != null && statusCode == 429) {
            rateLimitsHit.increment();
        }
    }

    public void recordRetry() { retries.increment(); }
    public void recordRateLimitWait() { rateLimitWaits.increment(); }

    public void recordCache(boolean hit, boolean revalidated) {
        if (hit) {
            cacheHits.increment();
        }
        if (revalidated) {
            cacheRevalidations.increment();
        }
    }

    public long requestsTotal() { return requestsTotal.sum(); }
    public long requestsFailed() { return requestsFailed.sum(); }
    public long attempts() { return attempts.sum(); }
    public long retries() { return retries.sum(); }
    /** 429 answers received. */
    public long rateLimitsHit() { return rateLimitsHit.sum(); }
    /** Times a call waited for a key's budget instead of sending. */
    public long rateLimitWaits() { return rateLimitWaits.sum(); }
    /** Answered from the cache, fresh or revalidated (304). */
    public long cacheHits() { return cacheHits.sum(); }
    public long cacheRevalidations() { return cacheRevalidations.sum(); }
    public long bytesSent() { return bytesSent.sum(); }
    public long bytesReceived() { return bytesReceived.sum(); }

    public double errorRate() {
        long total = requestsTotal.sum();
        return total == 0 ? 0.0 : (double) requestsFailed.sum() / total;
    }

    /** The latency below which {@code fraction} of recent calls finished (zero when none). */
    public Duration percentile(double fraction) {
        long[] ordered = recentLatencies();
        if (ordered.length == 0) {
            return Duration.ZERO;
        }
        Arrays.sort(ordered);
        int index = (int) Math.min(ordered.length - 1, Math.max(0, Math.round(fraction * ordered.length) - 1));
        return Duration.ofNanos(ordered[index]);
    }

    public Duration averageLatency() {
        long[] recent = recentLatencies();
        if (recent.length == 0) {
            return Duration.ZERO;
        }
        long sum = 0;
        for (long latency : recent) {
            sum += latency;
        }
        return Duration.ofNanos(sum / recent.length);
    }

    /** Every figure as plain numbers (latencies in seconds), with the Python SDK's names. */
    private long[] recentLatencies() {
        int count = (int) Math.min(latencyWrites.get(), latencies.length());
        long[] recent = new long[count];
        for (int i = 0; i < count; i++) {
            recent[i] = latencies.get(i);
        }
        return recent;
    }

    public Map<String, Object> snapshot() {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("requests_total", requestsTotal());
        figures.put("requests_failed", requestsFailed());
        figures.put("attempts", attempts());
        figures.put("retries", retries());
        figures.put("rate_limits_hit", rateLimitsHit());
        figures.put("rate_limit_waits", rateLimitWaits());
        figures.put("cache_hits", cacheHits());
        figures.put("cache_revalidations", cacheRevalidations());
        figures.put("bytes_sent", bytesSent());
        figures.put("bytes_received", bytesReceived());
        figures.put("error_rate", errorRate());
        figures.put("latency_avg", averageLatency().toNanos() / 1e9);
        figures.put("latency_p50", percentile(0.50).toNanos() / 1e9);
        figures.put("latency_p90", percentile(0.90).toNanos() / 1e9);
        figures.put("latency_p99", percentile(0.99).toNanos() / 1e9);
        return figures;
    }

    /** Back to zero (for example after a warm-up). */
    public void reset() {
        latencyWrites.set(0);
        for (LongAdder counter : List.of(requestsTotal, requestsFailed, attempts, retries, rateLimitsHit, rateLimitWaits,
                cacheHits, cacheRevalidations, bytesSent, bytesReceived)) {
            counter.reset();
        }
    }

    @Override
    public String toString() { return "Metrics" + snapshot(); }
}
