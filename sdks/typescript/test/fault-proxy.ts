/**
 * A small fault-injecting HTTP/1.1 proxy, for the faults a healthy server does not produce.
 * It sits between the SDK and the live server on loopback and applies the next fault of its
 * schedule to each request (no fault: forwarded as is). Faults:
 *
 * - "reset": the connection is destroyed before the server sees the request;
 * - "reset_after_forward": the server handles the request, then the connection is destroyed
 *   before the answer reaches the client (a retry must not redo the work);
 * - "503", "502", "504": answered by the proxy with that status and an error envelope;
 * - "429:<seconds>": answered 429 with `Retry-After: <seconds>` and the seed's body;
 * - "slow:<ms>": forwarded, but the answer is held back that long;
 * - "html": answered 200 with an HTML page (not JSON);
 * - "truncate": the server's answer with its body cut in half (Content-Length kept);
 * - "badjson": answered 200 with JSON cut short (Content-Length matching what is sent).
 *
 * Every request seen is recorded (method, path, headers, the socket it came on).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  fault: string;
  socket: number;
  bodyBytes: number;
}

const ENVELOPE = (code: string, message: string, details: Record<string, unknown> = {}): string =>
  JSON.stringify({ success: false, error: { code, message, details } });

export class FaultProxy {
  readonly seen: SeenRequest[] = [];
  private readonly faults: string[] = [];
  /** Faults for requests whose path contains a text, applied before the schedule. */
  private readonly pathFaults = new Map<string, string>();
  private server: http.Server | undefined;
  private sockets = new Map<Socket, number>();
  private upstream: URL;

  constructor(upstreamBase: string) {
    this.upstream = new URL(upstreamBase);
  }

  get baseURL(): string {
    const address = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  inject(...faults: string[]): void {
    this.faults.push(...faults);
  }

  /** Every request whose path contains `text` gets `fault` (until cleared). */
  injectForPath(text: string, fault: string): void {
    this.pathFaults.set(text, fault);
  }

  clear(): void {
    this.faults.length = 0;
    this.pathFaults.clear();
    this.seen.length = 0;
  }

  async start(): Promise<this> {
    let next = 0;
    this.server = http.createServer((request, response) => void this.handle(request, response));
    this.server.keepAliveTimeout = 30_000;
    this.server.on('connection', (socket) => this.sockets.set(socket, next++));
    await new Promise<void>((ok) => this.server?.listen(0, '127.0.0.1', ok));
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets.keys()) socket.destroy();
    await new Promise<void>((ok) => this.server?.close(() => ok()));
  }

  private fault(path: string): string {
    for (const [text, fault] of this.pathFaults) if (path.includes(text)) return fault;
    return this.faults.shift() ?? 'pass';
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = request.url ?? '/';
    const fault = this.fault(path);
    this.seen.push({
      method: request.method ?? 'GET',
      path,
      headers: request.headers,
      fault,
      socket: this.sockets.get(request.socket) ?? -1,
      bodyBytes: body.length,
    });
    const [kind, arg] = fault.split(':') as [string, string | undefined];
    if (kind === 'reset') {
      request.socket.destroy();
      return;
    }
    if (kind === '502' || kind === '503' || kind === '504') {
      response.writeHead(Number(kind), { 'content-type': 'application/json' });
      response.end(ENVELOPE('SERVICE_UNAVAILABLE', 'injected fault'));
      return;
    }
    if (kind === '429') {
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': arg ?? '1' });
      response.end(ENVELOPE('RATE_LIMIT_EXCEEDED', 'API rate limit exceeded. Please try again later.', {
        limit: 1000, remaining: 0, reset: Math.floor(Date.now() / 1000) + Number(arg ?? 1), retry_after: Number(arg ?? 1),
      }));
      return;
    }
    if (kind === 'html') {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html><body>502 Bad Gateway (an HTML error page from a load balancer)</body></html>');
      return;
    }
    if (kind === 'badjson') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"items": [{"id": "scan_1", "status": "comp');
      return;
    }
    const upstream = await this.forward(request, body);
    if (kind === 'reset_after_forward') {
      request.socket.destroy();
      return;
    }
    if (kind === 'slow') await new Promise((ok) => setTimeout(ok, Number(arg ?? 1000)));
    if (kind === 'truncate') {
      response.writeHead(upstream.status, { ...upstream.headers, 'content-length': String(upstream.body.length) });
      response.write(upstream.body.subarray(0, Math.floor(upstream.body.length / 2)));
      // The rest never comes: the connection closes mid-body.
      setTimeout(() => request.socket.destroy(), 10);
      return;
    }
    if (response.destroyed) return;
    response.writeHead(upstream.status, upstream.headers);
    if (upstream.stream) {
      upstream.stream.pipe(response);
      return;
    }
    response.end(upstream.body);
  }

  private forward(
    request: http.IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: http.OutgoingHttpHeaders; body: Buffer; stream?: http.IncomingMessage }> {
    return new Promise((ok, fail) => {
      const headers = { ...request.headers, host: this.upstream.host };
      const outgoing = http.request(
        { host: this.upstream.hostname, port: this.upstream.port, method: request.method, path: request.url, headers },
        (incoming) => {
          const out = { ...incoming.headers };
          if (String(incoming.headers['content-type'] ?? '').startsWith('text/event-stream')) {
            ok({ status: incoming.statusCode ?? 502, headers: out, body: Buffer.alloc(0), stream: incoming });
            return;
          }
          const parts: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => parts.push(chunk));
          incoming.on('end', () => ok({ status: incoming.statusCode ?? 502, headers: out, body: Buffer.concat(parts) }));
          incoming.on('error', fail);
        },
      );
      outgoing.on('error', fail);
      outgoing.end(body);
    });
  }
}
