/**
 * Rate-limit awareness against the real server's limits (keys with small custom budgets):
 * bursts do not turn into storms of 429s, spent keys are skipped, scan-creation limits hold
 * back scan creations only, and the seed's 429 body comes back as a TavoRateLimitError.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { TavoRateLimitError } from 'tavo-sdk';
import { CLI_KEY, FLAVOURS, REPO_URL, createKey, withClient } from './helpers.js';

describe('rate limits', () => {
  for (const flavour of FLAVOURS) {
    it(`${flavour.name}: a burst beyond the budget gets no storm of 429s`, async () => {
      const key = await createKey('free', { requests_per_hour: 5 });
      await withClient(key, flavour.options, async (c) => {
        const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => c.scanManagement.listScans()));
        const errors = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason as unknown);
        assert.equal(errors.length, 15);
        for (const error of errors) {
          assert.ok(error instanceof TavoRateLimitError);
          assert.ok(error.retryAfter !== undefined && error.retryAfter > 3000);
        }
        assert.equal(c.metrics.attempts, 5);
        assert.equal(c.metrics.rateLimitsHit, 0, 'not a single 429 received');
      });
    });
  }

  it('waiting can be switched off', async () => {
    const key = await createKey('free', { requests_per_hour: 1 });
    await withClient(key, { waitForRateLimit: false }, async (c) => {
      await c.scanManagement.listScans();
      await assert.rejects(c.scanManagement.listScans(), (error: unknown) => {
        assert.ok(error instanceof TavoRateLimitError);
        assert.equal(error.remaining, 0);
        assert.equal(error.limit, 1);
        return true;
      });
    });
  });

  it('spreads requests over several keys, skipping spent ones', async () => {
    const org = `spread-${randomUUID().slice(0, 8)}`;
    const keys = [await createKey('free', { requests_per_hour: 3 }, org), await createKey('free', { requests_per_hour: 3 }, org)];
    const used: string[] = [];
    await withClient(keys, { hooks: { request: ({ request }) => void used.push(request.headers['authorization'] ?? '') } }, async (c) => {
      for (let i = 0; i < 6; i++) await c.scanManagement.listScans();
      assert.deepEqual(c.rateLimits.map((budget) => budget.remaining), [0, 0]);
      await assert.rejects(c.scanManagement.listScans(), TavoRateLimitError);
      assert.equal(c.metrics.rateLimitsHit, 0);
    });
    assert.equal(used.filter((h) => h === `Bearer ${keys[0]}`).length, 3);
    assert.equal(used.filter((h) => h === `Bearer ${keys[1]}`).length, 3);
  });

  it("the server's 429 is a rate-limit error with the seed's fields", async () => {
    const key = await createKey('free', { requests_per_hour: 1 });
    await withClient(key, {}, (c) => c.scanManagement.listScans());
    await withClient(key, {}, async (unaware) => {
      await assert.rejects(unaware.scanManagement.listScans(), (error: unknown) => {
        assert.ok(error instanceof TavoRateLimitError);
        assert.equal(error.code, 'RATE_LIMIT_EXCEEDED');
        assert.equal(error.statusCode, 429);
        assert.equal(error.limit, 1);
        assert.equal(error.remaining, 0);
        assert.ok(error.reset);
        assert.ok(error.retryAfter !== undefined && error.retryAfter > 3000);
        assert.equal(error.serverMessage, 'API rate limit exceeded. Please try again later.');
        assert.match(error.message, /rate limit/);
        return true;
      });
      assert.equal(unaware.metrics.attempts, 1);
      assert.equal(unaware.metrics.rateLimitsHit, 1);
    });
  });

  it('a scan-creation limit holds back scan creations only', async () => {
    const key = await createKey('pro', { scans_per_hour: 1 });
    const limited: number[] = [];
    await withClient(key, { hooks: { rateLimit: (info) => void limited.push(info.waitMs) } }, async (c) => {
      const scan = await c.scanManagement.createScan({ repository_url: REPO_URL, scan_type: 'secrets' });
      await assert.rejects(c.scanManagement.createScan({ repository_url: REPO_URL }), TavoRateLimitError);
      assert.equal(c.metrics.rateLimitsHit, 1);
      // Reads go on; another creation is refused without asking the server again.
      await c.scanManagement.getScanStatus(scan.id);
      await assert.rejects(c.scanManagement.createScan({ repository_url: REPO_URL }), TavoRateLimitError);
      assert.equal(c.metrics.rateLimitsHit, 1);
      await c.scanManagement.cancelScan(scan.id);
    });
    assert.equal(limited.length, 1, 'the rateLimit hook saw the one 429');
  });

  it('a key made with the CLI works', async () => {
    await withClient(CLI_KEY, {}, async (c) => {
      const page = await c.scanManagement.listScans();
      assert.equal(page.total, page.items.length);
      assert.equal(c.rateLimits[0]?.limit, 1000, 'the pro tier: 1000 requests an hour');
    });
  });
});
