/**
 * The guide's "Error Handling and Retries" (withRetry), "Load Balancing"
 * (LoadBalancedTavoClient) and "Circuit Breaker Pattern", each beside the SDK's built-in
 * equivalent: retries with backoff and one idempotency key, several keys on one client, and
 * `circuitBreaker`.
 */
import { CircuitBreaker, CircuitBreakerOpenError, TavoConnectionError, TavoSdk, TavoTimeoutError } from 'tavo-sdk';
import type { TavoClient } from 'tavo-sdk';
import { API_KEY, API_KEYS, REPO1, check, runExample, sleep } from './_common.js';

/** Execute function with exponential backoff retry logic */
async function withRetry<T>(func: () => Promise<T>, maxRetries = 3, backoff = 1000): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await func();
    } catch (error) {
      if (attempt === maxRetries - 1) throw error;
      // Check if error is retryable
      if (error instanceof TavoConnectionError || error instanceof TavoTimeoutError) {
        const waitTime = backoff * 2 ** attempt;
        console.log(`Retry ${attempt + 1} after ${waitTime}ms: ${String(error)}`);
        await sleep(waitTime);
      } else {
        throw error; // Non-retryable error
      }
    }
  }
}

class LoadBalancedTavoClient {
  readonly clients: TavoClient[];
  constructor(apiKeys: string[]) {
    this.clients = apiKeys.map((apiKey) => TavoSdk.createClient({ apiKey }));
  }
  getClient(): TavoClient {
    return this.clients[Math.floor(Math.random() * this.clients.length)] as TavoClient;
  }
  scanRepository(repoUrl: string) {
    return this.getClient().scanManagement.createScan({ repository_url: repoUrl, scan_type: 'security' });
  }
}

class CircuitBreakerTavoClient {
  readonly client: TavoClient;
  failureCount = 0;
  lastFailureTime = 0;
  state: 'closed' | 'open' | 'half-open' = 'closed';
  constructor(apiKey: string, readonly failureThreshold = 5, readonly recoveryTimeout = 60_000, baseURL?: string) {
    this.client = TavoSdk.createClient({ apiKey, ...(baseURL ? { baseURL } : {}), maxRetries: 0 });
  }
  async executeWithCircuitBreaker<T>(operation: () => Promise<T>): Promise<T> {
    if (this.state === 'open') {
      if (Date.now() - this.lastFailureTime > this.recoveryTimeout) this.state = 'half-open';
      else throw new CircuitBreakerOpenError('Circuit breaker is open');
    }
    try {
      const result = await operation();
      this.failureCount = 0;
      this.state = 'closed';
      return result;
    } catch (error) {
      this.failureCount += 1;
      this.lastFailureTime = Date.now();
      if (this.failureCount >= this.failureThreshold) this.state = 'open';
      throw error;
    }
  }
}

runExample(import.meta.url, async () => {
  const client = TavoSdk.createClient({ apiKey: API_KEY });
  const result = await withRetry(() => client.scanManagement.createScan({ repository_url: REPO1, scan_type: 'security' }));
  check(result.id.startsWith('scan_'), 'created with the hand-made retry');
  await client.scanManagement.cancelScan(result.id);

  const balanced = new LoadBalancedTavoClient(API_KEYS);
  const scan = await balanced.scanRepository(REPO1);
  await balanced.getClient().scanManagement.cancelScan(scan.id);
  await Promise.all(balanced.clients.map((c) => c.close()));
  // Built in: one client spreads its calls over every key it is given.
  const spread = TavoSdk.createClient({ apiKey: API_KEYS });
  await Promise.all(Array.from({ length: 10 }, () => spread.scanManagement.listScans({ limit: 1 })));
  check(spread.rateLimits.every((budget) => budget.remaining !== undefined) || API_KEYS.length === 1, 'every key used');
  await spread.close();

  // A server that is down: the hand-made breaker and the built-in one both fail fast.
  const down = 'http://127.0.0.1:9';
  const guarded = new CircuitBreakerTavoClient(API_KEY, 2, 60_000, down);
  for (let i = 0; i < 2; i++) await guarded.executeWithCircuitBreaker(() => guarded.client.scanManagement.listScans()).catch(() => undefined);
  check(guarded.state === 'open', 'the hand-made breaker opened');
  await guarded.client.close();
  const breaker = new CircuitBreaker({ failureThreshold: 2, recoveryTimeoutMs: 60_000 });
  const builtIn = TavoSdk.createClient({ apiKey: API_KEY, baseURL: down, maxRetries: 0, circuitBreaker: breaker });
  for (let i = 0; i < 2; i++) await builtIn.scanManagement.listScans().catch(() => undefined);
  const refused = await builtIn.scanManagement.listScans().catch((error: unknown) => error);
  check(refused instanceof CircuitBreakerOpenError && breaker.state === 'open', 'the built-in breaker fails fast');
  await builtIn.close();
  await client.close();
});
