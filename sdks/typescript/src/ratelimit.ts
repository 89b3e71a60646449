/**
 * Client-side rate-limit awareness: each API key's remaining budget, read from the
 * X-RateLimit-* / RateLimit headers of every response, so a burst waits for a reset (or goes
 * to another key) instead of turning into a storm of 429s.
 *
 * Accounting: `remaining` is the lowest count the server reported in the current window, and
 * requests sent since then are subtracted from it (they may spend the rest). A key with no
 * estimated budget left is skipped; when every key is out, the caller waits until the
 * earliest reset or throws at once.
 *
 * Limits on a kind of request only (scan creations) are learned from a 429 that names a
 * window the general responses never did; they hold back that kind of request alone.
 */
import * as C from './constants.js';
import { TavoRateLimitError } from './errors.js';
import { serverWait } from './retry.js';

/** What is known of one API key's budget (`client.rateLimits`). Read-only for callers. */
export class KeyBudget {
  remaining: number | undefined;
  limit: number | undefined;
  window: string | undefined;
  resetEpoch: number | undefined;
  /** On the pool's clock (ms). */
  resetAt: number | undefined;
  inFlight = 0;
  /** A response has been seen: until then one request at a time finds out the budget. */
  probed = false;
  /** Request kind ("" for every request) -> clock time (ms) until which it is refused. */
  readonly blockedUntil = new Map<string, number>();

  constructor(readonly key: string) {}

  /** The key's first characters, enough to tell keys apart in logs. */
  get keyHint(): string {
    return `${this.key.slice(0, Math.min(10, Math.floor(this.key.length / 3)))}...`;
  }

  toJSON(): Record<string, unknown> {
    // Never the key itself: these end up in logs.
    return { key: this.keyHint, remaining: this.remaining, limit: this.limit, window: this.window, resetEpoch: this.resetEpoch, inFlight: this.inFlight };
  }

  /** Requests this key can still send now (Infinity when unknown or the window reset). */
  estimate(now: number): number {
    if (this.remaining === undefined) return this.probed || this.inFlight === 0 ? Infinity : 0;
    if (this.resetAt !== undefined && now >= this.resetAt) return Infinity;
    return this.remaining - this.inFlight;
  }

  blockedFor(scope: string | undefined, now: number): number {
    let wait = (this.blockedUntil.get('') ?? 0) - now;
    if (scope) wait = Math.max(wait, (this.blockedUntil.get(scope) ?? 0) - now);
    return Math.max(0, wait);
  }

  /** How long until this spent key may send: the reset, or a short recheck while in flight. */
  waitForBudget(now: number): number {
    if (this.inFlight > 0 || this.resetAt === undefined) return C.IN_FLIGHT_RECHECK_MS;
    return Math.max(this.resetAt - now, C.IN_FLIGHT_RECHECK_MS);
  }
}

function int(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*-?\d+\s*$/.test(value)) return undefined;
  return Number(value);
}

/** The window name and seconds to reset from `RateLimit: "hour";r=999;t=3599`. */
export function ietfState(value: string | undefined): [string | undefined, number | undefined] {
  if (!value) return [undefined, undefined];
  const item = /^\s*"?([^";,]*)"?((?:;[^,]*)?)/.exec(value);
  if (!item) return [undefined, undefined];
  const reset = /;\s*t=(\d+(?:\.\d+)?)/.exec(item[2] ?? '');
  return [item[1] || undefined, reset ? Number(reset[1]) : undefined];
}

export class KeyPool {
  readonly budgets: KeyBudget[];
  private readonly byKey: Map<string, KeyBudget>;
  private next = 0;
  /** Windows named in successful responses: limits on every request ("hour", "day"). */
  private readonly generalWindows = new Set<string>();

  constructor(keys: readonly string[], private readonly clock: () => number = () => performance.now()) {
    this.budgets = [...new Set(keys)].map((key) => new KeyBudget(key));
    this.byKey = new Map(this.budgets.map((budget) => [budget.key, budget]));
  }

  /** [key, 0]: send now with this key (in flight until `release`); [undefined, ms]: wait. */
  acquire(scope: string | undefined): [string | undefined, number] {
    const [best, index, wait] = this.choose(scope);
    if (best === undefined) return [undefined, wait];
    best.inFlight += 1;
    this.next = (index + 1) % this.budgets.length;
    return [best.key, 0];
  }

  /** Milliseconds until some key may send (0: one may now), without taking it. */
  availableIn(scope: string | undefined): number {
    return this.choose(scope)[2];
  }

  /** The key with the most estimated budget (ties go round-robin), or the shortest wait. */
  private choose(scope: string | undefined): [KeyBudget | undefined, number, number] {
    const now = this.clock();
    const count = this.budgets.length;
    let best: KeyBudget | undefined;
    let bestIndex = 0;
    let bestEstimate = 0;
    let shortest = Infinity;
    for (let offset = 0; offset < count; offset++) {
      const index = (this.next + offset) % count;
      const budget = this.budgets[index] as KeyBudget;
      const blocked = budget.blockedFor(scope, now);
      if (blocked > 0) {
        shortest = Math.min(shortest, blocked);
        continue;
      }
      const estimate = budget.estimate(now);
      if (estimate <= 0) shortest = Math.min(shortest, budget.waitForBudget(now));
      else if (best === undefined || estimate > bestEstimate) {
        best = budget;
        bestIndex = index;
        bestEstimate = estimate;
      }
    }
    return [best, bestIndex, best !== undefined ? 0 : shortest];
  }

  /** A request sent with `key` is over; its response (if any) updates the budget. */
  release(key: string, status: number | undefined, headers: Record<string, string> | undefined, scope: string | undefined): void {
    const budget = this.byKey.get(key);
    if (budget === undefined) return;
    budget.inFlight = Math.max(0, budget.inFlight - 1);
    if (headers !== undefined && status !== undefined) {
      budget.probed = true;
      this.observe(budget, status, headers, scope);
    }
  }

  private observe(budget: KeyBudget, status: number, headers: Record<string, string>, scope: string | undefined): void {
    const now = this.clock();
    const remaining = int(headers['x-ratelimit-remaining']);
    const [window, secondsFromIetf] = ietfState(headers['ratelimit']);
    let secondsLeft = secondsFromIetf;
    if (status === 429) {
      const wait = serverWait(headers);
      const specific = scope !== undefined && window !== undefined && !this.generalWindows.has(window);
      if (specific || remaining === undefined) {
        budget.blockedUntil.set(specific ? scope : '', now + (wait !== undefined ? wait * 1000 : 1000));
        return;
      }
    } else if (window !== undefined) {
      this.generalWindows.add(window);
    }
    if (remaining === undefined) return;
    const resetEpoch = int(headers['x-ratelimit-reset']);
    if (secondsLeft === undefined && resetEpoch !== undefined) secondsLeft = Math.max(0, resetEpoch - Date.now() / 1000);
    const sameWindow =
      budget.window === window && budget.resetEpoch === resetEpoch && !(budget.resetAt !== undefined && now >= budget.resetAt);
    // Responses overtake each other; within a window the count only goes down.
    budget.remaining = sameWindow && budget.remaining !== undefined ? Math.min(budget.remaining, remaining) : remaining;
    budget.limit = int(headers['x-ratelimit-limit']);
    budget.window = window;
    budget.resetEpoch = resetEpoch;
    budget.resetAt = secondsLeft !== undefined ? now + secondsLeft * 1000 : undefined;
  }

  /** The error thrown instead of waiting (waiting is off, or too long). */
  exhaustedError(scope: string | undefined, waitMs: number): TavoRateLimitError {
    const limits = this.budgets.map((b) => b.limit).filter((v): v is number => v !== undefined);
    const resets = this.budgets.map((b) => b.resetEpoch).filter((v): v is number => v !== undefined);
    const which = this.budgets.length === 1 ? "the API key's" : `all ${this.budgets.length} API keys'`;
    const kind = scope ? ` for ${scope}` : '';
    const seconds = waitMs / 1000;
    return new TavoRateLimitError(`${which} rate limit${kind} is exhausted; it resets in ${Math.ceil(seconds)}s`, {
      retryAfter: seconds,
      limit: limits.length ? Math.min(...limits) : undefined,
      remaining: 0,
      reset: resets.length ? Math.min(...resets) : undefined,
    });
  }
}
