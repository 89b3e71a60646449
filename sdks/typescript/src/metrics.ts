/**
 * Counters and latency percentiles of one client, always on (a few additions and one array
 * write per call). Calls are counted once however many attempts they took; `attempts`
 * counts what went on the wire. Latencies (ms) are of whole calls, retries and waits
 * included, over the most recent METRICS_LATENCY_WINDOW calls.
 */
import * as C from './constants.js';

export interface MetricsSnapshot {
  requests_total: number;
  requests_failed: number;
  attempts: number;
  retries: number;
  rate_limits_hit: number;
  rate_limit_waits: number;
  cache_hits: number;
  cache_revalidations: number;
  bytes_sent: number;
  bytes_received: number;
  error_rate: number;
  latency_avg_ms: number;
  latency_p50_ms: number;
  latency_p90_ms: number;
  latency_p99_ms: number;
}

export class Metrics {
  requestsTotal = 0;
  requestsFailed = 0;
  attempts = 0;
  retries = 0;
  /** 429 answers received. */
  rateLimitsHit = 0;
  /** Times a call waited for a key's budget instead of sending. */
  rateLimitWaits = 0;
  /** Answered from the cache, fresh or revalidated (304). */
  cacheHits = 0;
  cacheRevalidations = 0;
  bytesSent = 0;
  bytesReceived = 0;
  private latencies: Float64Array;
  private count = 0;

  constructor(private readonly window: number = C.METRICS_LATENCY_WINDOW) {
    this.latencies = new Float64Array(window);
  }

  recordCall(ms: number, failed: boolean): void {
    this.requestsTotal += 1;
    if (failed) this.requestsFailed += 1;
    this.latencies[this.count % this.window] = ms;
    this.count += 1;
  }

  recordAttempt(sent: number, received: number, status: number | undefined): void {
    this.attempts += 1;
    this.bytesSent += sent;
    this.bytesReceived += received;
    if (status === 429) this.rateLimitsHit += 1;
  }

  recordRetry(): void {
    this.retries += 1;
  }

  recordRateLimitWait(): void {
    this.rateLimitWaits += 1;
  }

  recordCache(hit: boolean, revalidated: boolean): void {
    if (hit) this.cacheHits += 1;
    if (revalidated) this.cacheRevalidations += 1;
  }

  private recent(): Float64Array {
    return this.latencies.subarray(0, Math.min(this.count, this.window));
  }

  /** Latency (ms) below which `fraction` of recent calls finished (0 if none). */
  percentile(fraction: number): number {
    const ordered = Float64Array.from(this.recent()).sort();
    if (ordered.length === 0) return 0;
    const index = Math.min(ordered.length - 1, Math.max(0, Math.round(fraction * ordered.length) - 1));
    return ordered[index] ?? 0;
  }

  get averageLatencyMs(): number {
    const recent = this.recent();
    let sum = 0;
    for (const value of recent) sum += value;
    return recent.length ? sum / recent.length : 0;
  }

  get errorRate(): number {
    return this.requestsTotal ? this.requestsFailed / this.requestsTotal : 0;
  }

  /** Every figure, as plain numbers (the Python SDK's names; latencies in ms). */
  snapshot(): MetricsSnapshot {
    return {
      requests_total: this.requestsTotal,
      requests_failed: this.requestsFailed,
      attempts: this.attempts,
      retries: this.retries,
      rate_limits_hit: this.rateLimitsHit,
      rate_limit_waits: this.rateLimitWaits,
      cache_hits: this.cacheHits,
      cache_revalidations: this.cacheRevalidations,
      bytes_sent: this.bytesSent,
      bytes_received: this.bytesReceived,
      error_rate: this.errorRate,
      latency_avg_ms: this.averageLatencyMs,
      latency_p50_ms: this.percentile(0.5),
      latency_p90_ms: this.percentile(0.9),
      latency_p99_ms: this.percentile(0.99),
    };
  }

  /** Back to zero (for example after a warm-up). */
  reset(): void {
    this.requestsTotal = this.requestsFailed = this.attempts = this.retries = 0;
    this.rateLimitsHit = this.rateLimitWaits = this.cacheHits = this.cacheRevalidations = 0;
    this.bytesSent = this.bytesReceived = 0;
    this.count = 0;
  }
}
