/**
 * HTTP caching (fresh hits, ETag revalidation), gzip request bodies, keep-alive pooling with
 * a connection limit, uploads, and the hooks and metrics -- on each transport.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { TavoSdk } from 'tavo-sdk';
import type { ClientOptions, TavoClient } from 'tavo-sdk';
import { FaultProxy } from './fault-proxy.js';
import { BASE_URL, FLAVOURS, REPO_URL, SEED_RULES, finishedScan, unlimitedKey, withClient } from './helpers.js';

describe('transport', () => {
  let proxy: FaultProxy;
  let key: string;
  before(async () => {
    proxy = await new FaultProxy(BASE_URL).start();
    key = await unlimitedKey();
  });
  after(() => proxy.stop());
  beforeEach(() => proxy.clear());

  function through(options: ClientOptions = {}, apiKey = key): TavoClient {
    return TavoSdk.createClient({ apiKey, baseURL: proxy.baseURL, ...options });
  }

  for (const flavour of FLAVOURS) {
    describe(flavour.name, () => {
      it('serves the rule catalogue from the cache while fresh', async () => {
        // An organisation without custom rules: its catalogue is fresh for an hour.
        const c = through(flavour.options, await unlimitedKey());
        const first = await c.scanRules.listRules();
        const again = await c.scanRules.listRules();
        assert.equal(again, first, 'the same decoded object');
        assert.ok(Object.isFrozen(again) && Object.isFrozen(again.items[0]));
        assert.equal(proxy.seen.length, 1);
        assert.equal(c.metrics.cacheHits, 1);
        await c.close();
      });

      it('revalidates a no-cache answer with its ETag (a 304 is free)', async () => {
        const own = await unlimitedKey();
        const statuses: number[] = [];
        const remaining: string[] = [];
        const c = through({ ...flavour.options, hooks: { response: ({ response }) => {
          statuses.push(response.status);
          remaining.push(response.headers['x-ratelimit-remaining'] ?? '');
        } } }, own);
        await c.scanRules.uploadCustomRules('seed-rules.yaml', SEED_RULES);
        const first = await c.scanRules.listRules({ pack: 'custom' });
        const again = await c.scanRules.listRules({ pack: 'custom' });
        assert.deepEqual(again.items.map((r) => r.id), ['rule1', 'rule2', 'rule3']);
        assert.deepEqual(again, first);
        assert.equal(c.metrics.cacheRevalidations, 1);
        assert.deepEqual(statuses.slice(-2), [200, 304]);
        assert.equal(remaining.at(-1), remaining.at(-2), 'the 304 cost no budget');
        assert.equal(proxy.seen.at(-1)?.headers['if-none-match'] !== undefined, true);
        await c.close();
      });

      it('caches finished results but not statuses; the cache can be switched off', async () => {
        const scanId = await finishedScan(key);
        const c = through(flavour.options);
        await c.scanManagement.getScanResults(scanId);
        await c.scanManagement.getScanResults(scanId);
        await c.scanManagement.getScanStatus(scanId);
        await c.scanManagement.getScanStatus(scanId);
        assert.equal(proxy.seen.length, 3);
        const uncached = through({ ...flavour.options, cache: false });
        await uncached.scanRules.listPacks();
        await uncached.scanRules.listPacks();
        assert.equal(uncached.metrics.cacheHits, 0);
        assert.equal(proxy.seen.length, 5);
        await c.close();
        await uncached.close();
      });

      it('sends large bodies gzip-compressed, which the server reads', async () => {
        const c = through(flavour.options);
        const rules = Array.from({ length: 300 }, (_, i) => `rule${(i % 3) + 1}`);
        const exclusions = Array.from({ length: 300 }, (_, i) => `path${i}/**`);
        await c.scanRules.uploadCustomRules('seed-rules.yaml', SEED_RULES);
        const scan = await c.scanManagement.createScan({ repository_url: REPO_URL, scan_type: 'comprehensive', rules, exclusions });
        assert.equal(scan.exclusions.length, 300);
        const post = proxy.seen.find((s) => s.method === 'POST' && s.path === '/api/v1/scans');
        assert.equal(post?.headers['content-encoding'], 'gzip');
        assert.ok(post && post.bodyBytes < JSON.stringify({ rules, exclusions }).length / 4);
        await c.scanManagement.getScanStatus(scan.id);
        // Small bodies go as they are.
        const small = proxy.seen.find((s) => s.method === 'POST' && s.path.endsWith('/rules/custom'));
        assert.equal(small?.headers['content-encoding'], 'gzip'); // the rule file is over 1 KiB
        await c.scanManagement.cancelScan(scan.id);
        const cancel = proxy.seen.find((s) => s.path.endsWith('/cancel'));
        assert.equal(cancel?.headers['content-encoding'], undefined);
        await c.close();
      });

      it('keeps connections alive, at most maxConnections of them', async () => {
        const c = through({ ...flavour.options, maxConnections: 2, cache: false });
        await Promise.all(Array.from({ length: 40 }, () => c.scanManagement.listScans()));
        const sockets = new Set(proxy.seen.map((s) => s.socket));
        if (flavour.name === 'axios-fetch') {
          // The fetch adapter uses Node's global fetch pool (not bounded by this client).
          assert.ok(sockets.size < 40, `connections reused: ${sockets.size}`);
        } else {
          assert.ok(sockets.size <= 2, `${sockets.size} connections`);
        }
        for (let i = 0; i < 5; i++) await c.scanManagement.listScans();
        assert.ok(new Set(proxy.seen.map((s) => s.socket)).size <= Math.max(2, sockets.size));
        await c.close();
      });
    });
  }

  it('uploads an archive to scan, and reports hooks and metrics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tavo-upload-'));
    writeFileSync(join(dir, 'app.py'), 'import subprocess\nsubprocess.call("ls " + input(), shell=True)\n');
    const archive = join(dir, 'code.tar.gz');
    execFileSync('tar', ['czf', archive, '-C', dir, 'app.py']);
    const calls: string[] = [];
    const retries: number[] = [];
    await withClient(key, { hooks: { call: (info) => void calls.push(`${info.method} ${info.ok}`), retry: (info) => void retries.push(info.retry) } }, async (c) => {
      const scan = await c.scanManagement.uploadScan(archive, { scan_type: 'code' });
      assert.equal(scan.source, 'upload');
      const final = await c.scanManagement.waitForScan(scan.id, { timeout: 120_000 });
      assert.equal(final.status, 'completed');
      assert.ok((final.total_findings ?? 0) >= 1);
      const snapshot = c.metrics.snapshot();
      assert.ok(snapshot.requests_total >= 1 && snapshot.attempts >= 2 && snapshot.latency_p50_ms > 0 && snapshot.latency_p99_ms >= snapshot.latency_p50_ms);
      assert.equal(snapshot.requests_failed, 0);
      assert.ok(calls.includes('POST true'));
    });
    assert.deepEqual(retries, []);
  });
});
