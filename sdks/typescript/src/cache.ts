/**
 * HTTP caching of GET responses (RFC 9111, a private cache): freshness from Cache-Control
 * max-age (less Age) or Expires, conditional requests with ETag / Last-Modified once stale
 * or when the answer says `no-cache`, a 304 refreshing the stored entry. Responses that carry
 * neither freshness nor a validator can never be reused and are not stored. A request with
 * an unsafe method invalidates what is stored for its path.
 *
 * A stored answer is decoded once: repeated calls get the same deeply frozen object (a
 * large body would cost more to parse again than the cache saves).
 *
 * Rate-limit headers of a response served from the cache are history, so budgets are
 * updated from what went over the wire only (the caller's `send`).
 */
import * as C from './constants.js';
import type { TransportResponse } from './transport.js';

export interface CacheEntry {
  response: TransportResponse;
  storedAt: number;
  freshForMs: number;
  noCache: boolean;
  /** The decoded body, frozen (set by the client on first use). */
  decoded?: unknown;
}

export interface CacheOutcome {
  response: TransportResponse;
  entry: CacheEntry | undefined;
  hit: boolean;
  revalidated: boolean;
}

interface Directives {
  maxAge: number | undefined;
  noStore: boolean;
  noCache: boolean;
}

function directives(value: string | undefined): Directives {
  const result: Directives = { maxAge: undefined, noStore: false, noCache: false };
  if (!value) return result;
  for (const part of value.toLowerCase().split(',')) {
    const [name, arg] = part.trim().split('=', 2) as [string, string | undefined];
    if (name === 'no-store') result.noStore = true;
    else if (name === 'no-cache') result.noCache = true;
    else if (name === 'max-age' && arg !== undefined) {
      const seconds = Number(arg.replace(/"/g, ''));
      if (Number.isFinite(seconds)) result.maxAge = Math.max(0, seconds);
    }
  }
  return result;
}

function freshness(headers: Record<string, string>, cc: Directives): number {
  if (cc.maxAge !== undefined) {
    const age = Number(headers['age'] ?? '0');
    return Math.max(0, (cc.maxAge - (Number.isFinite(age) ? age : 0)) * 1000);
  }
  const expires = headers['expires'];
  if (expires !== undefined) {
    const at = Date.parse(expires);
    const date = headers['date'] !== undefined ? Date.parse(headers['date']) : Date.now();
    return Number.isNaN(at) ? 0 : Math.max(0, at - (Number.isNaN(date) ? Date.now() : date));
  }
  return 0;
}

function hasValidator(headers: Record<string, string>): boolean {
  return 'etag' in headers || 'last-modified' in headers;
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

export class HTTPCache {
  private readonly entries = new Map<string, CacheEntry>();

  constructor(
    private readonly maxEntries: number = C.CACHE_MAX_ENTRIES,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  /** An unsafe request to `url` went out: what is stored for its path is no longer trusted. */
  invalidate(url: string): void {
    const path = pathOf(url);
    for (const key of this.entries.keys()) {
      if (pathOf(key) === path) this.entries.delete(key);
    }
  }

  /** A GET of `url`: from the cache when allowed, else through `send(extra headers)`. */
  async fetch(url: string, send: (extra: Record<string, string> | undefined) => Promise<TransportResponse>): Promise<CacheOutcome> {
    const entry = this.entries.get(url);
    if (entry === undefined) return this.store(url, await send(undefined), false);
    if (!entry.noCache && this.clock() - entry.storedAt < entry.freshForMs) {
      // LRU: a hit moves the entry to the end.
      this.entries.delete(url);
      this.entries.set(url, entry);
      return { response: entry.response, entry, hit: true, revalidated: false };
    }
    const stored = entry.response.headers;
    if (!hasValidator(stored)) {
      this.entries.delete(url);
      return this.store(url, await send(undefined), false);
    }
    const conditional: Record<string, string> = {};
    if (stored['etag'] !== undefined) conditional['If-None-Match'] = stored['etag'];
    if (stored['last-modified'] !== undefined) conditional['If-Modified-Since'] = stored['last-modified'];
    const upstream = await send(conditional);
    if (upstream.status !== 304) {
      if (upstream.status === 404 || upstream.status === 410) this.entries.delete(url);
      return this.store(url, upstream, true);
    }
    // 304: the stored body is still right; its headers and freshness are renewed.
    const headers = { ...stored };
    for (const [name, value] of Object.entries(upstream.headers)) {
      if (name !== 'content-length' && name !== 'content-encoding' && name !== 'transfer-encoding') headers[name] = value;
    }
    const cc = directives(headers['cache-control']);
    entry.response = { ...entry.response, headers };
    entry.storedAt = this.clock();
    entry.freshForMs = freshness(headers, cc);
    entry.noCache = cc.noCache;
    return { response: entry.response, entry, hit: true, revalidated: true };
  }

  private store(url: string, response: TransportResponse, revalidated: boolean): CacheOutcome {
    if (response.status !== 200) return { response, entry: undefined, hit: false, revalidated };
    const headers = response.headers;
    const cc = directives(headers['cache-control']);
    const fresh = freshness(headers, cc);
    const reusable = !cc.noStore && (fresh > 0 || hasValidator(headers)) && response.body.length <= C.CACHE_MAX_BODY_BYTES;
    if (!reusable) {
      this.entries.delete(url);
      return { response, entry: undefined, hit: false, revalidated };
    }
    const { 'content-encoding': _encoding, 'content-length': _length, ...kept } = headers;
    const entry: CacheEntry = {
      response: { ...response, headers: kept },
      storedAt: this.clock(),
      freshForMs: fresh,
      noCache: cc.noCache,
    };
    this.entries.delete(url);
    this.entries.set(url, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return { response, entry, hit: false, revalidated };
  }
}

/** Freezes a decoded JSON value and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value as Record<string, unknown>)) deepFreeze(item);
  }
  return value;
}
