/**
 * Faults a healthy server does not produce, through a fault-injecting proxy in front of the
 * real one: retries (with Retry-After, backoff and one idempotency key across attempts),
 * timeouts, aborts, the circuit breaker, polling when the event stream fails, and bodies
 * that are not JSON or cut short -- on each transport.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  CircuitBreaker,
  CircuitOpenError,
  RetryPolicy,
  TavoAbortError,
  TavoConnectionError,
  TavoRateLimitError,
  TavoResponseError,
  TavoServerError,
  TavoSdk,
  TavoTimeoutError,
  TavoValidationError,
} from 'tavo-sdk';
import type { ClientOptions, TavoClient } from 'tavo-sdk';
import { FaultProxy } from './fault-proxy.js';
import { BASE_URL, FLAVOURS, REPO_URL, finishedScan, unhandledRejections, unlimitedKey } from './helpers.js';

const FAST_RETRIES = new RetryPolicy({ maxRetries: 3, initialDelayMs: 10, maxDelayMs: 50 });

describe('resilience', () => {
  let proxy: FaultProxy;
  let key: string;
  before(async () => {
    proxy = await new FaultProxy(BASE_URL).start();
    key = await unlimitedKey();
  });
  after(async () => {
    await proxy.stop();
    assert.deepEqual(unhandledRejections(), []);
  });
  beforeEach(() => proxy.clear());

  function through(options: ClientOptions = {}): TavoClient {
    return TavoSdk.createClient({ apiKey: key, baseURL: proxy.baseURL, maxRetries: FAST_RETRIES, ...options });
  }

  for (const flavour of FLAVOURS) {
    describe(flavour.name, () => {
      it('retries resets and 503s, then answers', async () => {
        const c = through(flavour.options);
        proxy.inject('reset', '503', '502');
        const scans = await c.scanManagement.listScans();
        assert.ok(Array.isArray(scans.items));
        assert.deepEqual(proxy.seen.map((s) => s.fault), ['reset', '503', '502', 'pass']);
        assert.equal(c.metrics.retries, 3);
        assert.equal(c.metrics.attempts, 4); // the reset got no answer, but was an attempt
        await c.close();
      });

      it('stops after maxRetries with the last error', async () => {
        const c = through(flavour.options);
        proxy.inject('503', '503', '503', '503');
        await assert.rejects(c.scanManagement.listScans(), TavoServerError);
        assert.equal(proxy.seen.length, 4);
        await c.close();
      });

      it('never retries other 4xx', async () => {
        const c = through(flavour.options);
        await assert.rejects(c.scanManagement.listScans({ limit: 0 }), TavoValidationError);
        assert.equal(proxy.seen.length, 1);
        await c.close();
      });

      it('sends one idempotency key on every attempt: a lost answer creates one scan', async () => {
        const c = through(flavour.options);
        proxy.inject('reset_after_forward', '503');
        const scan = await c.scanManagement.createScan({ repository_url: REPO_URL, scan_type: 'secrets' });
        const keys = proxy.seen.map((s) => s.headers['idempotency-key']);
        assert.equal(keys.length, 3);
        assert.ok(keys[0] && keys.every((k) => k === keys[0]));
        const mine = (await c.scanManagement.listScans({ limit: 100 })).items.filter((s) => s.id === scan.id);
        assert.equal(mine.length, 1);
        await c.scanManagement.cancelScan(scan.id);
        await c.close();
      });

      it('honours Retry-After on a 429, and throws at once when it asks too much', async () => {
        const c = through(flavour.options);
        proxy.inject('429:1');
        const started = performance.now();
        await c.scanManagement.listScans();
        assert.ok(performance.now() - started >= 950, 'waited for Retry-After');
        assert.equal(c.metrics.rateLimitsHit, 1);
        proxy.inject('429:3600');
        await assert.rejects(c.scanManagement.listScans(), (error: unknown) => {
          assert.ok(error instanceof TavoRateLimitError);
          assert.equal(error.retryAfter, 3600);
          assert.match(error.message, /rate limit/);
          return true;
        });
        await c.close();
      });

      it('times out a slow answer, per client and per call, and retries it', async () => {
        const c = through({ ...flavour.options, timeout: 300, maxRetries: 0 });
        proxy.inject('slow:1500');
        await assert.rejects(c.scanManagement.listScans(), TavoTimeoutError);
        const patient = through({ ...flavour.options, timeout: 300 });
        proxy.inject('slow:1500');
        await patient.scanManagement.listScans(); // the retry is answered in time
        proxy.inject('slow:1500', 'slow:1500', 'slow:1500', 'slow:1500');
        await assert.rejects(patient.scanManagement.listScans({}, { timeout: 200 }), TavoTimeoutError);
        assert.equal(proxy.seen.length, 1 + 2 + 4);
        await c.close();
        await patient.close();
      });

      it('abandons a call when its AbortSignal fires', async () => {
        const c = through(flavour.options);
        proxy.inject('slow:2000');
        const controller = new AbortController();
        setTimeout(() => controller.abort(new Error('user gave up')), 100);
        await assert.rejects(c.scanManagement.listScans({}, { signal: controller.signal }), TavoAbortError);
        await assert.rejects(c.scanManagement.listScans({}, { signal: AbortSignal.abort() }), TavoAbortError);
        // An abort during a retry's backoff ends the wait too.
        proxy.inject('429:30');
        const later = new AbortController();
        setTimeout(() => later.abort(), 100);
        await assert.rejects(c.scanManagement.listScans({}, { signal: later.signal }), TavoAbortError);
        await c.close();
      });

      it('types bodies that are not JSON or are cut short', async () => {
        const c = through({ ...flavour.options, maxRetries: 0, cache: false });
        proxy.inject('html');
        await assert.rejects(c.scanManagement.listScans(), (error: unknown) => {
          assert.ok(error instanceof TavoResponseError);
          assert.match(error.message, /not JSON \(text\/html\)/);
          return true;
        });
        proxy.inject('badjson');
        await assert.rejects(c.scanManagement.listScans(), TavoResponseError);
        proxy.inject('truncate');
        await assert.rejects(c.scanRules.listRules(), (error: unknown) => {
          assert.ok(error instanceof TavoConnectionError || error instanceof TavoResponseError, String(error));
          return true;
        });
        await c.close();
      });

      it('opens the circuit after repeated failures, then probes', async () => {
        const breaker = new CircuitBreaker({ failureThreshold: 2, recoveryTimeoutMs: 300 });
        const c = through({ ...flavour.options, circuitBreaker: breaker, maxRetries: 0 });
        proxy.inject('503', '503');
        await assert.rejects(c.scanManagement.listScans(), TavoServerError);
        await assert.rejects(c.scanManagement.listScans(), TavoServerError);
        assert.equal(breaker.state, 'open');
        const seen = proxy.seen.length;
        await assert.rejects(c.scanManagement.listScans(), CircuitOpenError);
        assert.equal(proxy.seen.length, seen, 'an open circuit sends nothing');
        await new Promise((ok) => setTimeout(ok, 350));
        assert.equal(breaker.state, 'half-open');
        await c.scanManagement.listScans();
        assert.equal(breaker.state, 'closed');
        await c.close();
      });
    });
  }

  it('waits for a scan by polling when the event stream fails', async () => {
    const scanKey = await unlimitedKey();
    const c = TavoSdk.createClient({ apiKey: scanKey, baseURL: proxy.baseURL, maxRetries: FAST_RETRIES });
    proxy.injectForPath('/events', '503');
    const scan = await c.scanManagement.createScan({ repository_url: REPO_URL });
    const final = await c.scanManagement.waitForScan(scan.id, { timeout: 120_000 });
    assert.equal(final.status, 'completed');
    assert.ok(proxy.seen.some((s) => s.path.endsWith('/status')), 'polled the status');
    await c.close();
  });

  it('waits for a scan on the event stream, without polling', async () => {
    const scanKey = await unlimitedKey();
    const c = TavoSdk.createClient({ apiKey: scanKey, baseURL: proxy.baseURL });
    const scan = await c.scanManagement.createScan({ repository_url: REPO_URL });
    const final = await c.scanManagement.waitForScan(scan.id, { timeout: 120_000 });
    assert.equal(final.status, 'completed');
    assert.ok(proxy.seen.some((s) => s.path.endsWith('/events')));
    assert.ok(!proxy.seen.some((s) => s.path.endsWith('/status')), 'no polling');
    await assert.rejects(c.scanManagement.waitForScan('scan_nope', { timeout: 5_000 }), /not found|NOT_FOUND/i);
    await c.close();
  });

  it('gives up waiting at the timeout', async () => {
    const c = TavoSdk.createClient({ apiKey: key, baseURL: proxy.baseURL });
    proxy.injectForPath('/events', 'slow:5000');
    const scanId = await finishedScan(key);
    proxy.injectForPath('/status', 'slow:5000');
    await assert.rejects(c.scanManagement.waitForScan(scanId, { timeout: 500 }), (error: unknown) => {
      assert.ok(error instanceof TavoTimeoutError, String(error));
      assert.match(error.message, /did not finish within 0.5s/);
      return true;
    });
    await c.close();
  });

  it('an unreachable server is a connection error, after the retries', async () => {
    const c = TavoSdk.createClient({ apiKey: key, baseURL: 'http://127.0.0.1:9', maxRetries: FAST_RETRIES });
    await assert.rejects(c.scanManagement.listScans(), (error: unknown) => {
      assert.ok(error instanceof TavoConnectionError, String(error));
      return true;
    });
    assert.equal(c.metrics.attempts, 4);
    await c.close();
  });
});
