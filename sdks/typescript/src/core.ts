/**
 * The one request loop. A call goes: prepare (URL, JSON body gzip-compressed when large, an
 * Idempotency-Key for every POST) -> [HTTP cache for GETs] -> pick an API key with budget
 * (or wait / throw) -> circuit breaker -> hooks -> transport -> budgets, breaker, metrics,
 * hooks -> retry or return. Retries happen for connection errors, timeouts, 429 and
 * 502/503/504, and only for requests that may be sent twice: safe methods, and POSTs with
 * their idempotency key (the same key on every attempt, so the server does the work once).
 */
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { CacheEntry, HTTPCache } from './cache.js';
import { deepFreeze } from './cache.js';
import type { CircuitBreaker } from './circuit.js';
import * as C from './constants.js';
import { TavoAbortError, TavoConnectionError, TavoResponseError, TavoTimeoutError, errorForStatus } from './errors.js';
import type { TavoAPIError } from './errors.js';
import { Metrics } from './metrics.js';
import { KeyPool } from './ratelimit.js';
import type { RetryPolicy } from './retry.js';
import { serverWait, sleep } from './retry.js';
import { SSEDecoder } from './sse.js';
import type { ServerSentEvent } from './sse.js';
import type { Transport, TransportRequest, TransportResponse } from './transport.js';

const gzipAsync = promisify(gzip);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
export const SCAN_CREATION = 'scan creation';

/** Per-call options every resource method takes as its last argument. */
export interface RequestOptions {
  /** Abandons the call (and its retries and waits) with TavoAbortError. */
  signal?: AbortSignal;
  /** The most one attempt may take, in ms (default: the client's `timeout`). */
  timeout?: number;
  /** For POSTs: the Idempotency-Key to send (one is made when not given). */
  idempotencyKey?: string;
  /** Extra headers for this call. */
  headers?: Record<string, string>;
}

/** What a resource method asks for; the client turns it into HTTP. */
export interface APIRequest {
  method: string;
  path: string;
  query?: object | undefined;
  json?: unknown;
  body?: Uint8Array | undefined;
  contentType?: string | undefined;
  /** Rate-limit kind beyond the general budget (e.g. scan creations). */
  scope?: string | undefined;
  cacheable?: boolean | undefined;
  options?: RequestOptions | undefined;
}

export interface AttemptInfo {
  request: TransportRequest;
  attempt: number;
}
export interface ResponseInfo {
  request: TransportRequest;
  response: TransportResponse;
  attempt: number;
  durationMs: number;
}
export interface RetryInfo {
  method: string;
  url: string;
  retry: number;
  delayMs: number;
  reason: string;
}
export interface CallInfo {
  method: string;
  url: string;
  durationMs: number;
  ok: boolean;
  error?: unknown;
  fromCache: boolean;
}
export interface RateLimitInfo {
  keyHint: string;
  /** 'response': a 429 came back; 'wait': the client waits for a key's budget. */
  kind: 'response' | 'wait';
  waitMs: number;
}

type Hook<T> = (info: T) => void | Promise<void>;

/** Observers of what the client does (each may be one function or a list; may be async). */
export interface Hooks {
  request?: Hook<AttemptInfo> | Hook<AttemptInfo>[];
  response?: Hook<ResponseInfo> | Hook<ResponseInfo>[];
  retry?: Hook<RetryInfo> | Hook<RetryInfo>[];
  rateLimit?: Hook<RateLimitInfo> | Hook<RateLimitInfo>[];
  call?: Hook<CallInfo> | Hook<CallInfo>[];
}

interface HookLists {
  request: Hook<AttemptInfo>[];
  response: Hook<ResponseInfo>[];
  retry: Hook<RetryInfo>[];
  rateLimit: Hook<RateLimitInfo>[];
  call: Hook<CallInfo>[];
}

function list<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

async function emit<T>(hooks: Hook<T>[], info: T): Promise<void> {
  for (const hook of hooks) {
    const result = hook(info);
    if (result instanceof Promise) await result;
  }
}

interface Prepared {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Uint8Array | undefined;
  scope: string | undefined;
  cacheable: boolean;
  replaySafe: boolean;
  timeoutMs: number | undefined;
  signal: AbortSignal | undefined;
}

interface Outcome {
  response: TransportResponse;
  entry: CacheEntry | undefined;
}

export interface CoreSettings {
  apiKeys: string[];
  baseURL: string;
  timeoutMs: number | undefined;
  retry: RetryPolicy;
  waitForRateLimit: boolean;
  maxRateLimitWaitMs: number;
  circuitBreaker: CircuitBreaker | undefined;
  gzipMinBytes: number | undefined;
  defaultHeaders: Record<string, string>;
  hooks: Hooks;
  transport: Transport;
  cache: HTTPCache | undefined;
}

const PLAIN_SEGMENT = /^[A-Za-z0-9_.~-]+$/;

/** An API path from segments, each percent-encoded (ids and URLs are safe in it). */
export function apiPath(...segments: string[]): string {
  let path = C.API_PREFIX;
  for (const segment of segments) {
    if (typeof segment !== 'string' || segment === '') {
      throw new TypeError('an id in the path must be a non-empty string');
    }
    // "." and ".." would be read as relative path steps.
    const encoded = /^\.+$/.test(segment) ? segment.replace(/\./g, '%2E') : PLAIN_SEGMENT.test(segment) ? segment : encodeURIComponent(segment);
    path += `/${encoded}`;
  }
  return path;
}

export function queryString(params: object): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params) as [string, unknown][]) {
    const values = Array.isArray(value) ? (value as unknown[]) : [value];
    for (const item of values) {
      if (item === undefined || item === null) continue;
      search.append(name, typeof item === 'string' ? item : typeof item === 'object' ? JSON.stringify(item) : `${item as number | boolean}`);
    }
  }
  return search.toString();
}

function isTransient(error: unknown): boolean {
  return error instanceof TavoConnectionError || error instanceof TavoTimeoutError;
}

export class ClientCore {
  readonly keys: KeyPool;
  readonly metrics = new Metrics();
  readonly baseURL: string;
  readonly settings: CoreSettings;
  private readonly baseHeaders: Record<string, string>;
  private readonly hooks: HookLists;

  constructor(settings: CoreSettings) {
    this.settings = settings;
    this.baseURL = settings.baseURL;
    this.keys = new KeyPool(settings.apiKeys);
    this.baseHeaders = {
      'user-agent': `tavo-typescript/${C.VERSION}`,
      accept: 'application/json',
      'accept-encoding': 'gzip',
      ...lowered(settings.defaultHeaders),
    };
    const hooks = settings.hooks;
    this.hooks = {
      request: list(hooks.request),
      response: list(hooks.response),
      retry: list(hooks.retry),
      rateLimit: list(hooks.rateLimit),
      call: list(hooks.call),
    };
  }

  get transport(): Transport {
    return this.settings.transport;
  }

  // --- building requests -------------------------------------------------------------------

  private async prepare(request: APIRequest): Promise<Prepared> {
    const options = request.options ?? {};
    let url = this.baseURL + request.path;
    if (request.query) {
      const query = queryString(request.query);
      if (query) url += `?${query}`;
    }
    const headers = options.headers ? { ...this.baseHeaders, ...lowered(options.headers) } : { ...this.baseHeaders };
    let body = request.body;
    if (request.json !== undefined) {
      body = Buffer.from(JSON.stringify(request.json));
      headers['content-type'] = 'application/json';
    } else if (request.contentType !== undefined) {
      headers['content-type'] = request.contentType;
    }
    const threshold = this.settings.gzipMinBytes;
    if (body !== undefined && threshold !== undefined && body.length >= threshold) {
      body = await gzipAsync(body, { level: C.GZIP_LEVEL });
      headers['content-encoding'] = 'gzip';
    }
    const method = request.method.toUpperCase();
    if (method === 'POST') {
      // One key for every attempt of this call: a retried POST is done once.
      headers['idempotency-key'] = options.idempotencyKey ?? randomUUID().replace(/-/g, '');
    }
    return {
      method,
      url,
      headers,
      body,
      scope: request.scope,
      cacheable: (request.cacheable ?? true) && method === 'GET',
      replaySafe: SAFE_METHODS.has(method) || 'idempotency-key' in headers,
      timeoutMs: options.timeout ?? this.settings.timeoutMs,
      signal: options.signal,
    };
  }

  // --- the call ----------------------------------------------------------------------------

  /** The decoded body of a successful call; throws a TavoError subclass otherwise. */
  async request<T = unknown>(request: APIRequest): Promise<T> {
    const started = performance.now();
    let ok = false;
    let fromCache = false;
    let failure: unknown;
    let prepared: Prepared | undefined;
    try {
      prepared = await this.prepare(request);
      const outcome = await this.withRetries(prepared);
      fromCache = outcome.entry !== undefined && outcome.response === outcome.entry.response;
      const decoded = this.decode(outcome) as T;
      ok = true;
      return decoded;
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      const durationMs = performance.now() - started;
      this.metrics.recordCall(durationMs, !ok);
      if (this.hooks.call.length) {
        await emit(this.hooks.call, {
          method: prepared?.method ?? request.method,
          url: prepared?.url ?? this.baseURL + request.path,
          durationMs,
          ok,
          ...(ok ? {} : { error: failure }),
          fromCache,
        });
      }
    }
  }

  private decode(outcome: Outcome): unknown {
    const entry = outcome.entry;
    if (entry !== undefined) {
      if (!('decoded' in entry)) entry.decoded = deepFreeze(parseBody(entry.response));
      return entry.decoded;
    }
    return parseBody(outcome.response);
  }

  errorFor(response: TransportResponse): TavoAPIError {
    let body: unknown;
    try {
      body = response.body.length ? JSON.parse(Buffer.from(response.body).toString('utf8')) : undefined;
    } catch {
      body = undefined;
    }
    return errorForStatus(response.status, body, response.headers, serverWait(response.headers));
  }

  /** Milliseconds before retrying this response, or undefined to throw its error. */
  private retryDelay(prepared: Prepared, retries: number, response: TransportResponse): number | undefined {
    const retry = this.settings.retry;
    if (!retry.canRetry(retries, prepared.replaySafe)) return undefined;
    if (response.status === 429) {
      // The pool now knows this key is spent: another key goes at once, else the next
      // attempt waits for the reset, if waiting is allowed and not too long.
      const wait = this.keys.availableIn(prepared.scope);
      if (wait === 0) return 0;
      if (!this.settings.waitForRateLimit || wait > this.settings.maxRateLimitWaitMs) return undefined;
      return 0;
    }
    return retry.delayForStatus(retries, response.status, response.headers);
  }

  private async withRetries(prepared: Prepared): Promise<Outcome> {
    const retry = this.settings.retry;
    let retries = 0;
    for (;;) {
      let delay: number;
      let reason: string;
      try {
        const outcome = await this.attempt(prepared, retries);
        const status = outcome.response.status;
        if ((status >= 200 && status < 300) || status === 304) return outcome;
        const retryIn = this.retryDelay(prepared, retries, outcome.response);
        if (retryIn === undefined) throw this.errorFor(outcome.response);
        delay = retryIn;
        reason = `HTTP ${status}`;
      } catch (error) {
        if (!isTransient(error) || !retry.canRetry(retries, prepared.replaySafe)) throw error;
        delay = retry.backoffMs(retries);
        reason = (error as Error).name;
      }
      retries += 1;
      this.metrics.recordRetry();
      if (this.hooks.retry.length) {
        await emit(this.hooks.retry, { method: prepared.method, url: prepared.url, retry: retries, delayMs: delay, reason });
      }
      if (delay > 0) await this.pause(delay, prepared.signal);
    }
  }

  private async pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await sleep(ms, signal);
    } catch {
      throw new TavoAbortError(signal?.reason);
    }
  }

  private async attempt(prepared: Prepared, attempt: number): Promise<Outcome> {
    const cache = this.settings.cache;
    if (prepared.cacheable && cache !== undefined) {
      const outcome = await cache.fetch(prepared.url, (extra) => this.send(prepared, extra, attempt));
      if (outcome.hit || outcome.revalidated) this.metrics.recordCache(outcome.hit, outcome.revalidated);
      return { response: outcome.response, entry: outcome.entry };
    }
    const response = await this.send(prepared, undefined, attempt);
    if (cache !== undefined && prepared.method !== 'GET' && prepared.method !== 'HEAD' && response.status < 400) {
      cache.invalidate(prepared.url);
    }
    return { response, entry: undefined };
  }

  private async acquireKey(scope: string | undefined, signal: AbortSignal | undefined): Promise<string> {
    let waited = false;
    for (;;) {
      if (signal?.aborted) throw new TavoAbortError(signal.reason);
      const [key, wait] = this.keys.acquire(scope);
      if (key !== undefined) return key;
      if (!this.settings.waitForRateLimit || wait > this.settings.maxRateLimitWaitMs) {
        throw this.keys.exhaustedError(scope, wait);
      }
      if (!waited) {
        this.metrics.recordRateLimitWait();
        waited = true;
        if (this.hooks.rateLimit.length) {
          await emit(this.hooks.rateLimit, { keyHint: this.keys.budgets[0]?.keyHint ?? '', kind: 'wait', waitMs: wait });
        }
      }
      await this.pause(wait, signal);
    }
  }

  private wire(prepared: Prepared, key: string, extra: Record<string, string> | undefined, streamTimeoutMs?: number): TransportRequest {
    const headers = { ...prepared.headers, authorization: `Bearer ${key}` };
    if (extra) Object.assign(headers, extra);
    return {
      method: prepared.method,
      url: prepared.url,
      headers,
      body: prepared.body,
      timeoutMs: streamTimeoutMs ?? prepared.timeoutMs,
      signal: prepared.signal,
    };
  }

  /** After an attempt: budgets, breaker and metrics learn how it went. */
  private observe(key: string, prepared: Prepared, response: TransportResponse | undefined): void {
    const status = response?.status;
    this.keys.release(key, status, response?.headers, prepared.scope);
    const breaker = this.settings.circuitBreaker;
    if (breaker !== undefined) {
      if (status === undefined || status >= 500) breaker.recordFailure();
      else breaker.recordSuccess();
    }
    this.metrics.recordAttempt(prepared.body?.length ?? 0, response?.body.length ?? 0, status);
  }

  private abandon(key: string, prepared: Prepared, error: unknown): void {
    if (isTransient(error)) {
      this.observe(key, prepared, undefined);
    } else {
      this.keys.release(key, undefined, undefined, prepared.scope);
      this.settings.circuitBreaker?.releaseProbe();
    }
  }

  private async send(prepared: Prepared, extra: Record<string, string> | undefined, attempt: number): Promise<TransportResponse> {
    const key = await this.acquireKey(prepared.scope, prepared.signal);
    let response: TransportResponse;
    let request: TransportRequest | undefined;
    const started = performance.now();
    try {
      this.settings.circuitBreaker?.beforeRequest();
      request = this.wire(prepared, key, extra);
      if (this.hooks.request.length) await emit(this.hooks.request, { request, attempt });
      response = await this.settings.transport.send(request);
    } catch (error) {
      this.abandon(key, prepared, error);
      throw error;
    }
    this.observe(key, prepared, response);
    if (response.status === 429 && this.hooks.rateLimit.length) {
      const budget = this.keys.budgets.find((b) => b.key === key);
      const wait = serverWait(response.headers);
      await emit(this.hooks.rateLimit, { keyHint: budget?.keyHint ?? '', kind: 'response', waitMs: (wait ?? 0) * 1000 });
    }
    if (this.hooks.response.length) {
      await emit(this.hooks.response, { request, response, attempt, durationMs: performance.now() - started });
    }
    return response;
  }

  /**
   * The Server-Sent Events of a streamed GET, and undefined for each line that completes no
   * event (so a caller can check its deadline). No cache and no retries: callers fall back
   * to polling when the stream fails.
   */
  async *events(request: APIRequest, readTimeoutMs: number): AsyncGenerator<ServerSentEvent | undefined> {
    const prepared = await this.prepare(request);
    const key = await this.acquireKey(prepared.scope, prepared.signal);
    let observed = false;
    let stream;
    try {
      this.settings.circuitBreaker?.beforeRequest();
      const wired = this.wire(prepared, key, undefined, readTimeoutMs);
      if (this.hooks.request.length) await emit(this.hooks.request, { request: wired, attempt: 0 });
      stream = await this.settings.transport.stream(wired);
      const ok = stream.status >= 200 && stream.status < 300;
      const head: TransportResponse = { status: stream.status, headers: stream.headers, body: ok ? new Uint8Array(0) : await stream.read(), httpVersion: 'HTTP/1.1' };
      this.observe(key, prepared, head);
      observed = true;
      if (!ok) throw this.errorFor(head);
      const decoder = new SSEDecoder();
      for await (const line of stream.lines()) yield decoder.feed(line);
    } catch (error) {
      if (!observed) {
        this.abandon(key, prepared, error);
        observed = true;
      }
      throw error;
    } finally {
      if (!observed) this.abandon(key, prepared, undefined);
      await stream?.close();
    }
  }
}

function lowered(headers: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) result[name.toLowerCase()] = value;
  return result;
}

/** The JSON body of a successful response; anything else is a TavoResponseError. */
function parseBody(response: TransportResponse): unknown {
  if (response.body.length === 0) return null;
  const text = Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const length = response.headers['content-length'];
    const truncated = length !== undefined && Number(length) > response.body.length;
    throw new TavoResponseError(
      `the server answered HTTP ${response.status} with a body that is ${truncated ? 'cut short' : 'not JSON'} (${response.headers['content-type'] ?? 'no content type'})`,
      response.status,
      text,
      error,
    );
  }
}
