/**
 * TavoClient: settings in, resources out. All request logic is in core.ts; this class only
 * checks the options, picks the transport and wires the pieces together.
 *
 *     const client = TavoSdk.createClient({ apiKey: 'tavo_...' });
 *     const scans = await client.scanManagement.listScans({ status: 'completed' });
 *
 * Settings not given come from the environment: TAVO_BASE_URL, TAVO_API_KEY (several keys
 * separated by commas).
 */
import type { Dispatcher } from 'undici';
import { HTTPCache } from './cache.js';
import { CircuitBreaker } from './circuit.js';
import type { CircuitBreakerOptions } from './circuit.js';
import * as C from './constants.js';
import { ClientCore } from './core.js';
import type { Hooks } from './core.js';
import { TavoConfigError } from './errors.js';
import type { Metrics } from './metrics.js';
import type { KeyBudget } from './ratelimit.js';
import { RetryPolicy } from './retry.js';
import type { TLSOptions, Transport } from './transport.js';
import { AxiosTransport } from './transports/axios.js';
import type { AxiosAdapterOption, AxiosLike } from './transports/axios.js';
import { UndiciTransport } from './transports/undici.js';
import { AIAnalysis } from './resources/ai-analysis.js';
import { Findings } from './resources/findings.js';
import { Schedules } from './resources/schedules.js';
import { Users } from './resources/users.js';
import { Webhooks } from './resources/webhooks.js';
import { AuditLogResource, UsageResource } from './resources/account.js';
import { Repositories } from './resources/repositories.js';
import { ScanBulkOperations } from './resources/scan-bulk-operations.js';
import { ScanManagement } from './resources/scan-management.js';
import { ScanRules } from './resources/scan-rules.js';

/** Every option; all are optional. Durations are in milliseconds. */
export interface ClientOptions {
  /** One key, or several to spread requests over (a spent key is skipped). Default: TAVO_API_KEY. */
  apiKey?: string | readonly string[];
  /** Default: TAVO_BASE_URL, else http://127.0.0.1:8700. (`baseUrl` is taken too.) */
  baseURL?: string;
  baseUrl?: string;
  /** The most one attempt may take (default 30 000; 0 for no limit). Per call: `{ timeout }`. */
  timeout?: number;
  /** Establishing a connection (default 10 000; undici transport). */
  connectTimeout?: number;
  /** Retries of connection errors, timeouts, 429 and 502/503/504 (default 3), or a RetryPolicy. */
  maxRetries?: number | RetryPolicy;
  /** At most this many pooled keep-alive connections (default 100). */
  maxConnections?: number;
  /** Idle pooled connections are closed after this long (default 15 000; undici transport). */
  keepAlive?: number;
  /** HTTP caching of GETs (default true). */
  cache?: boolean;
  /** When every key is out of budget, wait for the reset instead of throwing (default true). */
  waitForRateLimit?: boolean;
  /** ... but not longer than this (default 60 000). */
  maxRateLimitWait?: number;
  /** Fail fast while the server is down: true (defaults), options, or your own breaker. */
  circuitBreaker?: boolean | CircuitBreaker | CircuitBreakerOptions;
  /** gzip request bodies of this many bytes and more (default true = 1024; false: never). */
  compressRequests?: boolean | number;
  /** Sent with every request. */
  defaultHeaders?: Record<string, string>;
  /** Observers: request, response, retry, rateLimit, call (metrics hooks). */
  hooks?: Hooks;
  /**
   * An axios adapter, in any form axios 1.x accepts: 'http', 'fetch', an adapter function
   * (e.g. `import httpAdapter from 'axios/unsafe/adapters/http.js'`) or an array. Giving one
   * selects the axios transport.
   */
  adapter?: AxiosAdapterOption;
  /** The axios module or instance to use with `adapter` (default: import('axios')). */
  axios?: AxiosLike;
  /** 'undici' (the default), 'axios' (with `adapter`, default 'http'), or your own Transport. */
  transport?: 'undici' | 'axios' | Transport;
  /** Your own undici dispatcher (Agent, Pool, ProxyAgent...) for the undici transport. */
  dispatcher?: Dispatcher;
  /** TLS: the CA certificates to trust (default: Node's), or `rejectUnauthorized: false`. */
  tls?: TLSOptions;
}

function env(name: string): string | undefined {
  const value = typeof process !== 'undefined' ? process.env[name] : undefined;
  return value === undefined || value.trim() === '' ? undefined : value;
}

function apiKeys(given: ClientOptions['apiKey']): string[] {
  const raw = given ?? env(C.API_KEY_ENV) ?? '';
  if (typeof raw !== 'string' && !Array.isArray(raw)) {
    throw new TavoConfigError('apiKey', `must be a string or an array of strings (got ${typeof raw})`);
  }
  const list = typeof raw === 'string' ? raw.split(',') : (raw as readonly unknown[]);
  const keys: string[] = [];
  for (const key of list) {
    if (typeof key !== 'string') throw new TavoConfigError('apiKey', 'every key must be a string');
    if (key.trim()) keys.push(key.trim());
  }
  if (keys.length === 0) throw new TavoConfigError('apiKey', `no API key: pass apiKey or set ${C.API_KEY_ENV}`);
  return keys;
}

function baseURL(options: ClientOptions): string {
  const given = options.baseURL ?? options.baseUrl ?? env(C.BASE_URL_ENV) ?? C.DEFAULT_BASE_URL;
  if (typeof given !== 'string') throw new TavoConfigError('baseURL', `must be a string (got ${typeof given})`);
  let url: URL;
  try {
    url = new URL(given.trim());
  } catch {
    throw new TavoConfigError('baseURL', `${JSON.stringify(given)} is not a URL (e.g. http://127.0.0.1:8700)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TavoConfigError('baseURL', `must start with http:// or https:// (got ${JSON.stringify(given)})`);
  }
  if (url.search || url.hash) throw new TavoConfigError('baseURL', 'must not have a query or fragment');
  let text = `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  if (text.endsWith(C.API_PREFIX)) text = text.slice(0, -C.API_PREFIX.length);
  return text;
}

function count(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TavoConfigError(name, `must be a whole number >= ${min} (got ${String(value)})`);
  }
  return value;
}

function duration(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TavoConfigError(name, `must be a number of milliseconds >= 0 (got ${String(value)})`);
  }
  return value;
}

function breaker(value: ClientOptions['circuitBreaker']): CircuitBreaker | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return new CircuitBreaker();
  if (value instanceof CircuitBreaker) return value;
  if (typeof value === 'object') return new CircuitBreaker(value);
  throw new TavoConfigError('circuitBreaker', 'must be a boolean, CircuitBreaker options or a CircuitBreaker');
}

function gzipThreshold(value: ClientOptions['compressRequests']): number | undefined {
  if (value === undefined || value === true) return C.GZIP_MIN_BYTES;
  if (value === false) return undefined;
  return count('compressRequests', value, C.GZIP_MIN_BYTES, 0);
}

function checkAdapter(adapter: unknown): void {
  const ok = (item: unknown): boolean => typeof item === 'string' || typeof item === 'function';
  if (!(ok(adapter) || (Array.isArray(adapter) && adapter.length > 0 && adapter.every(ok)))) {
    throw new TavoConfigError('adapter', "must be 'http', 'fetch', an axios adapter function, or an array of these");
  }
}

function transport(options: ClientOptions, maxConnections: number, keepAliveMs: number, connectTimeoutMs: number): Transport {
  const chosen = options.transport;
  if (chosen !== undefined && typeof chosen === 'object') {
    if (typeof chosen.send !== 'function' || typeof chosen.stream !== 'function' || typeof chosen.close !== 'function') {
      throw new TavoConfigError('transport', 'a transport needs send, stream and close methods');
    }
    return chosen;
  }
  if (chosen !== undefined && chosen !== 'undici' && chosen !== 'axios') {
    throw new TavoConfigError('transport', `must be 'undici', 'axios' or a Transport (got ${JSON.stringify(chosen)})`);
  }
  if (chosen === 'axios' || options.adapter !== undefined) {
    if (chosen === 'undici') throw new TavoConfigError('adapter', "an axios adapter needs the axios transport, not 'undici'");
    const adapter = options.adapter ?? 'http';
    checkAdapter(adapter);
    return new AxiosTransport({ adapter, axios: options.axios, maxConnections, tls: options.tls });
  }
  return new UndiciTransport({ maxConnections, keepAliveMs, connectTimeoutMs, dispatcher: options.dispatcher, tls: options.tls });
}

/**
 * The Tavo client. Reuse one client for many requests (it pools connections) and close it
 * when done (`await client.close()`, or `await using client = ...` where supported).
 */
export class TavoClient {
  readonly scanManagement: ScanManagement;
  readonly repositories: Repositories;
  readonly aiAnalysis: AIAnalysis;
  readonly scanRules: ScanRules;
  readonly scanBulkOperations: ScanBulkOperations;
  readonly findings: Findings;
  readonly webhooks: Webhooks;
  readonly schedules: Schedules;
  readonly users: Users;
  readonly usage: UsageResource;
  readonly auditLog: AuditLogResource;
  /** @internal */
  readonly core: ClientCore;
  private readonly httpCache: HTTPCache | undefined;

  constructor(options: ClientOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TavoConfigError('options', 'must be an object');
    const keys = apiKeys(options.apiKey);
    const base = baseURL(options);
    const timeoutMs = duration('timeout', options.timeout, C.DEFAULT_TIMEOUT_MS);
    const maxConnections = count('maxConnections', options.maxConnections, C.DEFAULT_MAX_CONNECTIONS, 1);
    const keepAliveMs = duration('keepAlive', options.keepAlive, C.DEFAULT_KEEPALIVE_MS);
    const connectTimeoutMs = duration('connectTimeout', options.connectTimeout, C.DEFAULT_CONNECT_TIMEOUT_MS);
    const maxRateLimitWaitMs = duration('maxRateLimitWait', options.maxRateLimitWait, C.MAX_RATE_LIMIT_WAIT_MS);
    const retry =
      options.maxRetries instanceof RetryPolicy
        ? options.maxRetries
        : new RetryPolicy({ maxRetries: count('maxRetries', options.maxRetries, C.DEFAULT_MAX_RETRIES, 0), maxServerWaitMs: maxRateLimitWaitMs });
    const circuitBreaker = breaker(options.circuitBreaker);
    const gzipMinBytes = gzipThreshold(options.compressRequests);
    this.httpCache = options.cache === false ? undefined : new HTTPCache();
    this.core = new ClientCore({
      apiKeys: keys,
      baseURL: base,
      timeoutMs: timeoutMs === 0 ? undefined : timeoutMs,
      retry,
      waitForRateLimit: options.waitForRateLimit ?? true,
      maxRateLimitWaitMs,
      circuitBreaker,
      gzipMinBytes,
      defaultHeaders: { ...(options.defaultHeaders ?? {}) },
      hooks: options.hooks ?? {},
      // Built last: every option above is checked before a connection pool exists.
      transport: transport(options, maxConnections, keepAliveMs, connectTimeoutMs),
      cache: this.httpCache,
    });
    this.scanManagement = new ScanManagement(this.core);
    this.repositories = new Repositories(this.core);
    this.aiAnalysis = new AIAnalysis(this.core);
    this.scanRules = new ScanRules(this.core);
    this.scanBulkOperations = new ScanBulkOperations(this.core);
    this.findings = new Findings(this.core);
    this.webhooks = new Webhooks(this.core);
    this.schedules = new Schedules(this.core);
    this.users = new Users(this.core);
    this.usage = new UsageResource(this.core);
    this.auditLog = new AuditLogResource(this.core);
  }

  get baseURL(): string {
    return this.core.baseURL;
  }

  /** Requests total/failed, attempts, retries, rate limits hit, cache hits, latency percentiles. */
  get metrics(): Metrics {
    return this.core.metrics;
  }

  get circuitBreaker(): CircuitBreaker | undefined {
    return this.core.settings.circuitBreaker;
  }

  /** What is known of each API key's budget (from the last responses). */
  get rateLimits(): readonly KeyBudget[] {
    return this.core.keys.budgets;
  }

  /** The transport in use. */
  get transport(): Transport {
    return this.core.transport;
  }

  /** The transport's name ('undici', 'axios:http', ...). */
  get transportName(): string {
    return this.core.transport.name;
  }

  /** Closes the pooled connections and empties the cache. */
  async close(): Promise<void> {
    this.httpCache?.clear();
    await this.core.transport.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  toString(): string {
    return `TavoClient(baseURL=${this.baseURL})`;
  }
}

/** The seed's entry point: `TavoSdk.createClient({ apiKey, adapter, baseURL, ... })`. */
export class TavoSdk {
  static readonly version = C.VERSION;

  static createClient(options: ClientOptions = {}): TavoClient {
    return new TavoClient(options);
  }
}
