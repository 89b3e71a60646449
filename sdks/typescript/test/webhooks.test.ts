/**
 * Webhooks end to end (a receiver on loopback gets a signed delivery that verifyWebhook
 * accepts, and refuses when tampered with), their management calls, and scheduled scans.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TavoNotFoundError, WebhookVerificationError, verifyWebhook } from 'tavo-sdk';
import { REPO_URL, finishedScan, unlimitedKey, withClient } from './helpers.js';

interface Received {
  body: Buffer;
  headers: http.IncomingHttpHeaders;
}

describe('webhooks and schedules', () => {
  let receiver: http.Server;
  const received: Received[] = [];
  let hookURL: string;
  before(async () => {
    receiver = http.createServer((request, response) => {
      const parts: Buffer[] = [];
      request.on('data', (chunk: Buffer) => parts.push(chunk));
      request.on('end', () => {
        received.push({ body: Buffer.concat(parts), headers: request.headers });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
    hookURL = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/tavo`;
  });
  after(() => new Promise<void>((ok) => receiver.close(() => ok())));

  it('delivers signed events that verifyWebhook checks; manages webhooks', async () => {
    const key = await unlimitedKey();
    await withClient(key, {}, async (c) => {
      const hook = await c.webhooks.createWebhook(hookURL, ['scan.completed'], { description: 'ts-sdk test' });
      assert.ok(hook.secret, 'the secret comes with the answer to the create');
      await finishedScan(key);
      const deadline = Date.now() + 60_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 200));
      const delivery = received[0];
      assert.ok(delivery, 'a delivery arrived');
      const event = verifyWebhook(delivery.body, delivery.headers, { secret: hook.secret });
      assert.equal(event.type, 'scan.completed');
      assert.equal(event.id, delivery.headers['tavo-event-id']);
      const tampered = Buffer.concat([delivery.body, Buffer.from(' ')]);
      assert.throws(() => verifyWebhook(tampered, delivery.headers, { secret: hook.secret ?? '' }), WebhookVerificationError);
      assert.throws(() => verifyWebhook(delivery.body, delivery.headers, { secret: 'wrong' }), WebhookVerificationError);
      assert.throws(() => verifyWebhook(delivery.body, delivery.headers, { secret: hook.secret ?? '', now: Date.now() / 1000 + 3600 }), /too far/);

      const deliveries = await c.webhooks.listDeliveries(hook.id);
      assert.ok(deliveries.items.length >= 1);
      const again = await c.webhooks.redeliver(hook.id, deliveries.items[0]?.id as string);
      assert.equal(again.event_id, deliveries.items[0]?.event_id);
      const rotated = await c.webhooks.updateWebhook(hook.id, { rotate_secret: true, description: 'rotated' });
      assert.ok(rotated.secret && rotated.secret !== hook.secret);
      assert.equal((await c.webhooks.getWebhook(hook.id)).description, 'rotated');
      assert.ok((await c.webhooks.listWebhooks()).items.some((w) => w.id === hook.id));
      await c.webhooks.deleteWebhook(hook.id);
      await assert.rejects(c.webhooks.getWebhook(hook.id), TavoNotFoundError);
    });
  });

  it('schedules scans of a repository', async () => {
    const key = await unlimitedKey();
    await finishedScan(key);
    await withClient(key, {}, async (c) => {
      const schedule = await c.schedules.createSchedule(REPO_URL, '0 3 * * *', { timezone: 'Europe/Berlin', scan_type: 'secrets' });
      assert.equal(schedule.cron, '0 3 * * *');
      assert.ok(schedule.next_run_at);
      assert.ok((await c.schedules.listSchedules()).items.some((s) => s.id === schedule.id));
      assert.equal((await c.schedules.getSchedule(schedule.id)).timezone, 'Europe/Berlin');
      await c.schedules.deleteSchedule(schedule.id);
      await assert.rejects(c.schedules.getSchedule(schedule.id), TavoNotFoundError);
    });
  });
});
