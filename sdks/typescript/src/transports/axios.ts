/**
 * The axios transport: every adapter form axios 1.x accepts ('http', 'fetch', an adapter
 * function such as the one from `axios/unsafe/adapters/http.js`, or an array of these to try
 * in order). axios is an optional peer dependency, loaded only when this transport is used.
 * With the 'http' adapter, connections are kept alive in a pool of at most
 * `maxConnections` sockets; the 'fetch' adapter uses Node's global fetch pool.
 */
import http from 'node:http';
import https from 'node:https';
import type { AxiosInstance, AxiosRequestConfig, AxiosResponse } from 'axios';
import { TavoAbortError, TavoConfigError, TavoConnectionError, TavoTimeoutError } from '../errors.js';
import type { TavoError } from '../errors.js';
import type { TLSOptions, Transport, TransportRequest, TransportResponse, TransportStream } from '../transport.js';
import { lowerHeaders, splitLines } from '../transport.js';
import { decompress, transportError } from './undici.js';

/** What `adapter` may be: anything axios 1.x takes as its `adapter` setting. */
export type AxiosAdapterOption = NonNullable<AxiosRequestConfig['adapter']>;

/** The part of the axios module this transport uses (the default export, or an instance). */
export interface AxiosLike {
  create(config?: AxiosRequestConfig): AxiosInstance;
}

export interface AxiosTransportOptions {
  adapter: AxiosAdapterOption;
  /** The axios module to use (default: `import('axios')`). */
  axios?: AxiosLike | undefined;
  maxConnections: number;
  tls?: TLSOptions | undefined;
}

const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT']);

function axiosError(error: unknown, request: TransportRequest): TavoError {
  if (request.signal?.aborted) return new TavoAbortError(request.signal.reason);
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
    return new TavoTimeoutError(`${request.url}: ${message}`, { cause: error });
  }
  // The fetch adapter wraps the network error; its cause says what happened.
  const cause = typeof error === 'object' && error !== null ? (error as { cause?: unknown }).cause : undefined;
  if (cause !== undefined && cause !== null) {
    const inner = transportError(cause, request.url, request.signal);
    if (inner instanceof TavoTimeoutError) return inner;
  }
  return new TavoConnectionError(`${request.url}: ${message}`, { cause: error, code: typeof code === 'string' ? code : undefined });
}

async function loadAxios(): Promise<AxiosLike> {
  try {
    const module = (await import('axios')) as unknown as { default?: AxiosLike } & AxiosLike;
    return module.default ?? module;
  } catch (error) {
    throw new TavoConfigError('adapter', `axios is not installed (npm install axios): ${String(error)}`);
  }
}

function bytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (typeof data === 'string') return new TextEncoder().encode(data);
  return new Uint8Array(0);
}

function headersOf(response: AxiosResponse): Record<string, string> {
  const raw = response.headers as unknown as { toJSON?: () => Record<string, string | string[]> };
  const plain = typeof raw.toJSON === 'function' ? raw.toJSON() : (response.headers as Record<string, string | string[]>);
  return lowerHeaders(Object.entries(plain));
}

/** Adapters that already decompressed the body may leave the header: look at the bytes. */
async function body(data: unknown, headers: Record<string, string>): Promise<Uint8Array> {
  const raw = bytes(data);
  const encoding = headers['content-encoding'];
  if (encoding === undefined) return raw;
  delete headers['content-encoding'];
  const gzipped = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;
  return gzipped || encoding.toLowerCase() !== 'gzip' ? decompress(raw, gzipped ? 'gzip' : undefined) : raw;
}

export class AxiosTransport implements Transport {
  readonly name: string;
  private instance: Promise<AxiosInstance>;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(options: AxiosTransportOptions) {
    const adapter = options.adapter;
    this.name = `axios:${describe(adapter)}`;
    // (Node's agent has no idle expiry of its own: idle sockets live until the server closes
    // them. Its `timeout` would also cut quiet event streams, so it is not set.)
    const agentOptions = { keepAlive: true, maxSockets: options.maxConnections };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent({ ...agentOptions, ...options.tls });
    const module = options.axios;
    this.instance = (module ? Promise.resolve(module) : loadAxios()).then((axios) =>
      axios.create({
        adapter,
        httpAgent: this.httpAgent,
        httpsAgent: this.httpsAgent,
        validateStatus: () => true,
        maxRedirects: 0,
        maxContentLength: Infinity,
        maxBodyLength: Infinity,
        decompress: true,
        transformResponse: [(data: unknown) => data],
        transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: false },
        proxy: false,
      }),
    );
    // A failed import is reported by the first request, not as an unhandled rejection.
    this.instance.catch(() => undefined);
  }

  private config(request: TransportRequest, responseType: 'arraybuffer' | 'stream'): AxiosRequestConfig {
    return {
      url: request.url,
      method: request.method,
      headers: request.headers,
      data: request.body,
      timeout: request.timeoutMs ?? 0,
      signal: request.signal,
      responseType,
    };
  }

  async send(request: TransportRequest): Promise<TransportResponse> {
    const axios = await this.instance;
    let response: AxiosResponse;
    try {
      response = await axios.request(this.config(request, 'arraybuffer'));
    } catch (error) {
      throw axiosError(error, request);
    }
    const headers = headersOf(response);
    const content = await body(response.data, headers);
    return { status: response.status, headers, body: content, httpVersion: 'HTTP/1.1' };
  }

  async stream(request: TransportRequest): Promise<TransportStream> {
    const axios = await this.instance;
    let response: AxiosResponse;
    try {
      response = await axios.request(this.config(request, 'stream'));
    } catch (error) {
      throw axiosError(error, request);
    }
    const headers = headersOf(response);
    const source = response.data as AsyncIterable<Uint8Array> & { destroy?: () => void; cancel?: () => Promise<void> };
    async function* chunks(): AsyncGenerator<Uint8Array> {
      try {
        for await (const chunk of source) yield chunk;
      } catch (error) {
        throw axiosError(error, request);
      }
    }
    return {
      status: response.status,
      headers,
      lines: () => splitLines(chunks()),
      read: async () => {
        const parts: Uint8Array[] = [];
        for await (const chunk of chunks()) parts.push(chunk);
        return body(Buffer.concat(parts), headers);
      },
      close: async () => {
        if (typeof source.destroy === 'function') source.destroy();
        else if (typeof source.cancel === 'function') await source.cancel().catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    await Promise.resolve();
  }
}

function describe(adapter: AxiosAdapterOption): string {
  if (Array.isArray(adapter)) return adapter.map((item) => describe(item as AxiosAdapterOption)).join(',');
  if (typeof adapter === 'string') return adapter;
  return adapter.name || 'custom';
}
