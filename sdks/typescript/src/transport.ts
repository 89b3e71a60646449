/**
 * The one small transport interface: send a request and get the whole response, or open a
 * streamed response (for Server-Sent Events). Implementations: undici (the default, the
 * fastest measured: see bench/ts_sdk_throughput.mjs) and axios (with any adapter axios 1.x
 * accepts). Anything with this shape can be given as `transport`.
 *
 * Transports throw only TavoConnectionError, TavoTimeoutError and TavoAbortError; HTTP
 * statuses are data. Response headers are an object with lower-case names (repeated fields
 * joined with ", "); bodies are decompressed.
 */

/** TLS settings of a transport's connections. */
export interface TLSOptions {
  /** CA certificates (PEM) to trust instead of Node's bundled ones. */
  ca?: string | Buffer | (string | Buffer)[];
  /** false: accept any certificate (never in production). */
  rejectUnauthorized?: boolean;
}

export interface TransportRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array | undefined;
  /** The most this attempt may take, in milliseconds (undefined: no limit). */
  timeoutMs?: number | undefined;
  /** The caller's signal: when it fires the request is abandoned (TavoAbortError). */
  signal?: AbortSignal | undefined;
}

export interface TransportResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  httpVersion: string;
}

export interface TransportStream {
  status: number;
  headers: Record<string, string>;
  /** The body line by line as it arrives (line endings removed). */
  lines(): AsyncIterable<string>;
  /** The whole (remaining) body. */
  read(): Promise<Uint8Array>;
  /** Stops reading and releases the connection. */
  close(): Promise<void>;
}

export interface Transport {
  readonly name: string;
  send(request: TransportRequest): Promise<TransportResponse>;
  stream(request: TransportRequest): Promise<TransportStream>;
  close(): Promise<void>;
}

export function lowerHeaders(entries: Iterable<[string, string | string[] | undefined]>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const text = Array.isArray(value) ? value.join(', ') : value;
    headers[key] = key in headers ? `${headers[key]}, ${text}` : text;
  }
  return headers;
}

/** Splits a byte stream into text lines (\n, \r\n or \r endings), as Server-Sent Events need. */
export async function* splitLines(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of chunks) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer[i];
      if (c === '\n' || c === '\r') {
        // A \r at the end of the buffer may be half of \r\n: keep it for the next chunk.
        if (c === '\r' && i === buffer.length - 1) break;
        yield buffer.slice(start, i);
        if (c === '\r' && buffer[i + 1] === '\n') i++;
        start = i + 1;
      }
    }
    buffer = buffer.slice(start);
  }
  buffer += decoder.decode();
  if (buffer) yield buffer.replace(/\r$/, '');
}

/**
 * An AbortSignal for one attempt: fires when the caller's signal does or the timeout passes.
 * `dispose` clears the timer. (AbortSignal.any is not in Node 18.)
 */
export function attemptSignal(
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
): { signal: AbortSignal | undefined; timedOut: () => boolean; dispose: () => void } {
  if (timeoutMs === undefined && signal === undefined) {
    return { signal: undefined, timedOut: () => false, dispose: () => undefined };
  }
  const controller = new AbortController();
  let expired = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onAbort = (): void => controller.abort(signal?.reason);
  if (signal) {
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener('abort', onAbort, { once: true });
  }
  if (timeoutMs !== undefined) {
    timer = setTimeout(() => {
      expired = true;
      controller.abort(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
  }
  return {
    signal: controller.signal,
    timedOut: () => expired,
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}
