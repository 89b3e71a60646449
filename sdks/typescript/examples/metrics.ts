/**
 * The guide's "Request Timing" (TimedTavoClient) and "Metrics Collection"
 * (MetricsTavoClient), then the SDK's built-in metrics and hooks.
 */
import { TavoRateLimitError, TavoSdk } from 'tavo-sdk';
import type { TavoClient } from 'tavo-sdk';
import { API_KEY, check, runExample } from './_common.js';

class TimedTavoClient {
  constructor(readonly client: TavoClient) {}

  async timedRequest<T>(name: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await call();
      console.log(`${name}: ${((performance.now() - started) / 1000).toFixed(2)}s`);
      return result;
    } catch (error) {
      console.log(`${name} failed after ${((performance.now() - started) / 1000).toFixed(2)}s: ${String(error)}`);
      throw error;
    }
  }
}

class MetricsTavoClient {
  readonly metrics = { requests_total: 0, requests_failed: 0, response_times: [] as number[], rate_limits_hit: 0 };
  constructor(readonly client: TavoClient) {}

  async makeRequest<T>(call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      this.metrics.requests_total += 1;
      const result = await call();
      this.metrics.response_times.push((performance.now() - started) / 1000);
      return result;
    } catch (error) {
      this.metrics.requests_failed += 1;
      // Check for rate limit errors
      if (error instanceof TavoRateLimitError || String(error).toLowerCase().includes('rate limit')) this.metrics.rate_limits_hit += 1;
      throw error;
    }
  }

  getMetrics() {
    const times = this.metrics.response_times;
    return {
      ...this.metrics,
      avg_response_time: times.length ? times.reduce((a, b) => a + b, 0) / times.length : 0,
      error_rate: this.metrics.requests_total > 0 ? this.metrics.requests_failed / this.metrics.requests_total : 0,
    };
  }
}

runExample(import.meta.url, async () => {
  const latencies: number[] = [];
  const client = TavoSdk.createClient({ apiKey: API_KEY, hooks: { call: (info) => void latencies.push(info.durationMs) } });
  const timed = new TimedTavoClient(client);
  await timed.timedRequest('scanManagement.listScans', () => client.scanManagement.listScans());
  const measured = new MetricsTavoClient(client);
  for (let i = 0; i < 5; i++) await measured.makeRequest(() => client.repositories.listRepositories());
  await measured.makeRequest(() => client.scanManagement.getScan('scan_missing')).catch(() => undefined);
  const mine = measured.getMetrics();
  check(mine.requests_total === 6 && mine.requests_failed === 1 && mine.error_rate > 0, 'hand-made metrics');

  // Built in: counters, latency percentiles, and hooks.
  const snapshot = client.metrics.snapshot();
  console.log(JSON.stringify(snapshot));
  check(snapshot.requests_total === 7 && snapshot.requests_failed === 1, 'built-in counters');
  check(snapshot.latency_p50_ms > 0 && latencies.length === 7, 'latencies');
  await client.close();
});
