/** Options are checked at construction: a bad one is a TavoConfigError saying what is wrong. */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { RetryPolicy, TavoClient, TavoConfigError, TavoSdk } from 'tavo-sdk';
import type { ClientOptions } from 'tavo-sdk';

function rejects(options: ClientOptions | Record<string, unknown>, option: string, pattern: RegExp): void {
  assert.throws(
    () => TavoSdk.createClient(options),
    (error: unknown) => {
      assert.ok(error instanceof TavoConfigError, `not a TavoConfigError: ${String(error)}`);
      assert.equal(error.option, option);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('client options', () => {
  it('refuses invalid options with a typed error naming them', () => {
    rejects({ apiKey: 'k', maxConnections: 0 }, 'maxConnections', /whole number >= 1 \(got 0\)/);
    rejects({ apiKey: 'k', maxConnections: 2.5 }, 'maxConnections', /got 2.5/);
    rejects({ apiKey: 'k', baseURL: 'not a url' }, 'baseURL', /is not a URL/);
    rejects({ apiKey: 'k', baseURL: 'ftp://example.com' }, 'baseURL', /http:\/\/ or https:\/\//);
    rejects({ apiKey: 'k', timeout: -1 }, 'timeout', /milliseconds >= 0/);
    rejects({ apiKey: 'k', maxRetries: -1 }, 'maxRetries', />= 0/);
    rejects({ apiKey: 'k', adapter: 42 }, 'adapter', /'http', 'fetch'/);
    rejects({ apiKey: 'k', adapter: [] }, 'adapter', /array/);
    rejects({ apiKey: 'k', transport: 'curl' }, 'transport', /'undici', 'axios'/);
    rejects({ apiKey: 'k', transport: {} }, 'transport', /send, stream and close/);
    rejects({ apiKey: 'k', circuitBreaker: { failureThreshold: 0 } }, 'circuitBreaker.failureThreshold', />= 1/);
    rejects({ apiKey: 'k', compressRequests: -5 }, 'compressRequests', />= 0/);
  });

  it('needs an API key, from the options or TAVO_API_KEY', () => {
    const saved = process.env['TAVO_API_KEY'];
    delete process.env['TAVO_API_KEY'];
    try {
      rejects({}, 'apiKey', /no API key: pass apiKey or set TAVO_API_KEY/);
      rejects({ apiKey: ' , ' }, 'apiKey', /no API key/);
      rejects({ apiKey: [1] }, 'apiKey', /must be a string/);
    } finally {
      if (saved !== undefined) process.env['TAVO_API_KEY'] = saved;
    }
  });

  it("takes the environment's settings, with the Python SDK's defaults", async () => {
    const saved = { key: process.env['TAVO_API_KEY'], url: process.env['TAVO_BASE_URL'] };
    try {
      process.env['TAVO_API_KEY'] = 'tavo_a, tavo_b';
      delete process.env['TAVO_BASE_URL'];
      const defaults = TavoSdk.createClient();
      assert.equal(defaults.baseURL, 'http://127.0.0.1:8700');
      assert.deepEqual(defaults.rateLimits.map((b) => b.key), ['tavo_a', 'tavo_b']);
      assert.equal(defaults.transportName, 'undici');
      await defaults.close();
      process.env['TAVO_BASE_URL'] = 'https://tavo.example.com/api/v1/';
      const fromEnv = new TavoClient();
      assert.equal(fromEnv.baseURL, 'https://tavo.example.com');
      await fromEnv.close();
    } finally {
      for (const [name, value] of [['TAVO_API_KEY', saved.key], ['TAVO_BASE_URL', saved.url]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('accepts every adapter form axios 1.x accepts', async () => {
    const require = createRequire(import.meta.url);
    // The function form, from the path axios 1.x exports (the seed's axios/lib/adapters/http is not).
    const { default: httpAdapter } = (await import('axios/unsafe/adapters/http.js')) as { default: unknown };
    assert.equal(typeof httpAdapter, 'function');
    assert.throws(() => require.resolve('axios/lib/adapters/http'), /not exported|ERR_PACKAGE_PATH_NOT_EXPORTED/);
    const forms: [unknown, string][] = [
      ['http', 'axios:http'],
      ['fetch', 'axios:fetch'],
      // (axios renames its adapter functions 'http' once its own adapter table is loaded)
      [httpAdapter, 'axios:http'],
      [['fetch', 'http'], 'axios:fetch,http'],
    ];
    for (const [adapter, name] of forms) {
      const c = TavoSdk.createClient({ apiKey: 'k', adapter: adapter as never });
      assert.equal(c.transportName.replace('httpAdapter', 'http'), name);
      await c.close();
    }
  });

  it('takes a RetryPolicy and checks it', () => {
    assert.throws(() => new RetryPolicy({ maxRetries: -2 }), TavoConfigError);
    const policy = new RetryPolicy({ maxRetries: 1, jitter: () => 0.5, initialDelayMs: 100 });
    assert.equal(policy.backoffMs(0), 50);
    assert.equal(policy.backoffMs(3), 400);
    assert.equal(policy.delayForStatus(0, 503, { 'retry-after': '2' }), 2000);
    assert.equal(policy.delayForStatus(0, 503, { 'retry-after': '3600' }), undefined);
    assert.equal(policy.delayForStatus(0, 400, {}), undefined);
  });
});
