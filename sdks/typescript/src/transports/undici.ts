/**
 * The default transport: undici's Agent (keep-alive pool of at most `maxConnections`
 * connections per origin) and its `request` API, the fastest client measured here (see
 * bench/ts_sdk_throughput.mjs). An attempt's timeout is a timer of its own (undici's
 * headers/body timeouts tick in whole seconds); a stream's is the idle time between bytes.
 */
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import { Agent, request as undiciRequest } from 'undici';
import type { Dispatcher } from 'undici';
import { TavoAbortError, TavoConnectionError, TavoError, TavoTimeoutError } from '../errors.js';
import type { TLSOptions, Transport, TransportRequest, TransportResponse, TransportStream } from '../transport.js';
import { attemptSignal, lowerHeaders, splitLines } from '../transport.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const brotliAsync = promisify(brotliDecompress);

export interface UndiciTransportOptions {
  maxConnections: number;
  keepAliveMs: number;
  connectTimeoutMs: number;
  /** Your own undici dispatcher (Agent, Pool, ProxyAgent...): used as given, not closed. */
  dispatcher?: Dispatcher | undefined;
  tls?: TLSOptions | undefined;
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** A transport failure as the SDK's error type. */
export function transportError(error: unknown, url: string, signal: AbortSignal | undefined): TavoError {
  if (error instanceof TavoError) return error;
  if (signal?.aborted) return new TavoAbortError(signal.reason);
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const text = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
    return new TavoTimeoutError(`${url}: ${text}`, { cause: error });
  }
  return new TavoConnectionError(`${url}: ${text}`, { cause: error, code: typeof code === 'string' ? code : undefined });
}

export async function decompress(body: Uint8Array, encoding: string | undefined): Promise<Uint8Array> {
  if (!encoding || encoding === 'identity' || body.length === 0) return body;
  const kind = encoding.trim().toLowerCase();
  try {
    if (kind === 'gzip' || kind === 'x-gzip') return await gunzipAsync(body);
    if (kind === 'deflate') return await inflateAsync(body);
    if (kind === 'br') return await brotliAsync(body);
  } catch (error) {
    throw new TavoConnectionError(`the response body could not be decompressed (${kind}): it is cut short or corrupt`, { cause: error });
  }
  return body;
}

export class UndiciTransport implements Transport {
  readonly name = 'undici';
  private readonly dispatcher: Dispatcher;
  private readonly owned: boolean;

  constructor(options: UndiciTransportOptions) {
    this.owned = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ??
      new Agent({
        connections: options.maxConnections,
        keepAliveTimeout: options.keepAliveMs,
        connect: { timeout: options.connectTimeoutMs, ...options.tls },
      });
  }

  private options(request: TransportRequest, signal: AbortSignal | undefined, idleMs: number): Parameters<typeof undiciRequest>[1] {
    return {
      method: request.method as Dispatcher.HttpMethod,
      headers: request.headers,
      body: request.body,
      dispatcher: this.dispatcher,
      signal,
      headersTimeout: idleMs,
      bodyTimeout: idleMs,
    };
  }

  async send(request: TransportRequest): Promise<TransportResponse> {
    const attempt = attemptSignal(request.timeoutMs, request.signal);
    try {
      const response = await undiciRequest(request.url, this.options(request, attempt.signal, 0));
      const headers = lowerHeaders(Object.entries(response.headers));
      const raw = new Uint8Array(await response.body.arrayBuffer());
      return {
        status: response.statusCode,
        headers,
        body: await decompress(raw, headers['content-encoding']),
        httpVersion: 'HTTP/1.1',
      };
    } catch (error) {
      if (attempt.timedOut()) {
        throw new TavoTimeoutError(`${request.url}: no complete answer within ${String(request.timeoutMs)} ms`, { cause: error });
      }
      throw transportError(error, request.url, request.signal);
    } finally {
      attempt.dispose();
    }
  }

  async stream(request: TransportRequest): Promise<TransportStream> {
    const url = request.url;
    let response: Dispatcher.ResponseData;
    try {
      response = await undiciRequest(url, this.options(request, request.signal, request.timeoutMs ?? 0));
    } catch (error) {
      throw transportError(error, url, request.signal);
    }
    const body = response.body;
    const headers = lowerHeaders(Object.entries(response.headers));
    async function* chunks(): AsyncGenerator<Uint8Array> {
      try {
        for await (const chunk of body) yield chunk as Uint8Array;
      } catch (error) {
        throw transportError(error, url, request.signal);
      }
    }
    return {
      status: response.statusCode,
      headers,
      lines: () => splitLines(chunks()),
      read: async () => {
        try {
          return await decompress(new Uint8Array(await body.arrayBuffer()), headers['content-encoding']);
        } catch (error) {
          throw transportError(error, url, request.signal);
        }
      },
      close: async () => {
        body.destroy();
        await Promise.resolve();
      },
    };
  }

  async close(): Promise<void> {
    if (this.owned) await this.dispatcher.close();
  }
}
