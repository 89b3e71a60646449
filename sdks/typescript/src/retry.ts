/**
 * Pure retry decisions: which failures are retried, and how long to wait before the next
 * attempt (exponential backoff with full jitter, or what the server asked for).
 */
import * as C from './constants.js';
import { TavoConfigError } from './errors.js';

export interface RetryPolicyOptions {
  /** More attempts after the first (default 3). */
  maxRetries?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** A Retry-After longer than this is not waited for: the error is thrown at once. */
  maxServerWaitMs?: number;
  retryStatuses?: Iterable<number>;
  /** A number in [0, 1): the jitter's source (replaceable for tests). */
  jitter?: () => number;
}

/**
 * `maxRetries` more attempts after the first, for connection errors, timeouts and the
 * statuses in `retryStatuses`. Waits are drawn uniformly from
 * [0, min(maxDelay, initialDelay * 2**retry)] ("full jitter"), unless the server said how
 * long to wait (Retry-After, X-RateLimit-Reset), which is honoured up to `maxServerWaitMs`.
 */
export class RetryPolicy {
  readonly maxRetries: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxServerWaitMs: number;
  readonly retryStatuses: ReadonlySet<number>;
  readonly jitter: () => number;

  constructor(options: RetryPolicyOptions = {}) {
    this.maxRetries = options.maxRetries ?? C.DEFAULT_MAX_RETRIES;
    if (!Number.isInteger(this.maxRetries) || this.maxRetries < 0) {
      throw new TavoConfigError('maxRetries', `must be a whole number >= 0 (got ${String(options.maxRetries)})`);
    }
    this.initialDelayMs = options.initialDelayMs ?? C.INITIAL_RETRY_DELAY_MS;
    this.maxDelayMs = options.maxDelayMs ?? C.MAX_RETRY_DELAY_MS;
    this.maxServerWaitMs = options.maxServerWaitMs ?? C.MAX_RATE_LIMIT_WAIT_MS;
    this.retryStatuses = new Set(options.retryStatuses ?? C.RETRY_STATUSES);
    this.jitter = options.jitter ?? Math.random;
  }

  /** Another attempt is allowed: budget left, and the request may be sent again. */
  canRetry(retriesDone: number, replaySafe: boolean): boolean {
    return replaySafe && retriesDone < this.maxRetries;
  }

  backoffMs(retriesDone: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** retriesDone);
    return ceiling * this.jitter();
  }

  /**
   * Milliseconds to wait before retrying a response with this status, or undefined when it
   * is not retried (not a retried status, or the server asks for a longer wait).
   */
  delayForStatus(retriesDone: number, status: number, headers: Record<string, string>): number | undefined {
    if (!this.retryStatuses.has(status)) return undefined;
    const asked = serverWait(headers);
    if (asked === undefined) return this.backoffMs(retriesDone);
    if (asked * 1000 > this.maxServerWaitMs) return undefined;
    return asked * 1000;
  }
}

/**
 * How long (seconds) the server asked the client to wait: Retry-After (seconds or an HTTP
 * date), else X-RateLimit-Retry-After, else the rate-limit reset time.
 */
export function serverWait(headers: Record<string, string>, nowMs: number = Date.now()): number | undefined {
  for (const name of ['retry-after', 'x-ratelimit-retry-after']) {
    const value = headers[name];
    if (value === undefined) continue;
    const seconds = secondsOf(value, nowMs);
    if (seconds !== undefined) return seconds;
  }
  const reset = headers['x-ratelimit-reset'];
  if (reset !== undefined && /^\s*\d+\s*$/.test(reset)) {
    return Math.max(0, Number(reset) - nowMs / 1000);
  }
  return undefined;
}

function secondsOf(value: string, nowMs: number): number | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  let seconds = Number(text);
  if (Number.isNaN(seconds)) {
    const moment = Date.parse(text);
    if (Number.isNaN(moment)) return undefined;
    seconds = (moment - nowMs) / 1000;
  }
  if (!Number.isFinite(seconds)) return undefined;
  return Math.max(0, seconds);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
