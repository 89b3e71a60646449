/**
 * Verifying the webhooks a Tavo server sends (for the program that receives them):
 *
 *     try {
 *       const event = verifyWebhook(rawBody, request.headers, { secret: WEBHOOK_SECRET });
 *       if (event.type === 'finding.new') ...
 *     } catch (error) {
 *       if (error instanceof WebhookVerificationError) return reply.code(400).send();
 *       throw error;
 *     }
 *
 * The signature is HMAC-SHA256, keyed with the webhook's secret, over `"{timestamp}." + body`
 * (the raw bytes received), sent as `Tavo-Signature: v1=<hex>` with `Tavo-Timestamp`; a
 * timestamp more than `tolerance` seconds from now is refused (a replayed delivery). Retries
 * and redeliveries carry the same `Tavo-Event-Id` (the event's `id`): deduplicate on it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { TavoError } from './errors.js';
import type { WebhookEvent } from './types/index.js';

export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

/** The delivery is not a genuine, fresh one from the server holding the secret. */
export class WebhookVerificationError extends TavoError {}

type HeaderBag = Record<string, string | string[] | undefined> | { get(name: string): string | null };

function header(headers: HeaderBag, name: string): string {
  let value: string | string[] | null | undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    value = (headers as { get(name: string): string | null }).get(name);
  } else {
    const bag = headers as Record<string, string | string[] | undefined>;
    const key = Object.keys(bag).find((k) => k.toLowerCase() === name.toLowerCase());
    value = key === undefined ? undefined : bag[key];
  }
  if (Array.isArray(value)) value = value.join(',');
  if (value === undefined || value === null) throw new WebhookVerificationError(`missing ${name} header`);
  return value;
}

/** The event of a verified delivery; throws WebhookVerificationError otherwise. */
export function verifyWebhook(
  body: Uint8Array | string,
  headers: HeaderBag,
  options: { secret: string; tolerance?: number; now?: number },
): WebhookEvent {
  const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const stamp = header(headers, 'Tavo-Timestamp');
  if (!/^\d+$/.test(stamp)) throw new WebhookVerificationError('Tavo-Timestamp is not a unix time');
  const now = options.now ?? Date.now() / 1000;
  if (Math.abs(now - Number(stamp)) > (options.tolerance ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS)) {
    throw new WebhookVerificationError('Tavo-Timestamp is too far from now (a replay?)');
  }
  const expected = createHmac('sha256', options.secret).update(`${stamp}.`).update(raw).digest();
  const offered = header(headers, 'Tavo-Signature')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .map((part) => Buffer.from(part.slice(3), 'hex'));
  if (!offered.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected))) {
    throw new WebhookVerificationError('the signature does not match');
  }
  try {
    return JSON.parse(raw.toString('utf8')) as WebhookEvent;
  } catch {
    throw new WebhookVerificationError('the body is not JSON');
  }
}
