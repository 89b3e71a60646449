/**
 * The SDK's errors. Every one is a `TavoError`:
 *
 *     TavoError
 *      ├── TavoConfigError            invalid client options (thrown at construction)
 *      ├── TavoAPIError               the server answered with an error envelope
 *      │    ├── TavoAuthError         401, 403
 *      │    ├── TavoNotFoundError     404
 *      │    ├── TavoConflictError     409 (e.g. an Idempotency-Key reused with another body)
 *      │    ├── TavoValidationError   400, 413, 422 (`field` names the offending field)
 *      │    ├── TavoRateLimitError    429, or every key's budget is spent and waiting is off
 *      │    └── TavoServerError       5xx
 *      ├── TavoResponseError          a 2xx answer that is not the JSON expected (truncated…)
 *      ├── TavoConnectionError        the server could not be reached / the connection broke
 *      ├── TavoTimeoutError           an attempt (or a wait) took too long
 *      ├── TavoAbortError             the caller's AbortSignal fired
 *      └── CircuitOpenError           the circuit breaker refuses requests for now
 */

export class TavoError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The client options are invalid: what is wrong is in the message (and `option`). */
export class TavoConfigError extends TavoError {
  readonly option: string;
  constructor(option: string, message: string) {
    super(`invalid option ${option}: ${message}`);
    this.option = option;
  }
}

export interface APIErrorInit {
  statusCode: number;
  code?: string;
  details?: Record<string, unknown>;
  requestId?: string | undefined;
  headers?: Record<string, string>;
}

/** The server refused or failed a request; `code` is its stable upper-case error code. */
export class TavoAPIError extends TavoError {
  readonly statusCode: number;
  readonly code: string;
  /** The server's own message (the error envelope's `message`); `message` adds the status. */
  readonly serverMessage: string;
  readonly details: Record<string, unknown>;
  readonly requestId: string | undefined;
  readonly headers: Record<string, string>;

  constructor(message: string, init: APIErrorInit & { serverMessage?: string }) {
    const where = init.requestId ? `, request ${init.requestId}` : '';
    super(`${message} (HTTP ${init.statusCode} ${init.code ?? 'HTTP_ERROR'}${where})`);
    this.serverMessage = init.serverMessage ?? message;
    this.statusCode = init.statusCode;
    this.code = init.code ?? 'HTTP_ERROR';
    this.details = init.details ?? {};
    this.requestId = init.requestId;
    this.headers = init.headers ?? {};
  }
}

/** The API key is missing, invalid, expired or lacks the permission (401, 403). */
export class TavoAuthError extends TavoAPIError {}
/** The resource does not exist or belongs to another organisation (404). */
export class TavoNotFoundError extends TavoAPIError {}
/** The request conflicts with the resource's state (409). */
export class TavoConflictError extends TavoAPIError {}
/** The server failed (5xx), after the retries allowed for it. */
export class TavoServerError extends TavoAPIError {}

/** One problem the server found with the request: where (`loc`), and what. */
export interface FieldError {
  field: string;
  loc: (string | number)[];
  message: string;
  type?: string;
}

/**
 * The request is not valid (400, 413, 422). `field` is the first offending field (e.g.
 * `repository_url`, or `scans.1.repository_url`), `errors` every one the server named.
 */
export class TavoValidationError extends TavoAPIError {
  readonly errors: FieldError[];
  readonly field: string | undefined;
  constructor(message: string, init: APIErrorInit) {
    const [errors, listed] = fieldErrors(init.details);
    const first = errors[0];
    // A list of problems is summed up by its first; a single refused value is already told.
    super(first && listed ? `${message}: ${first.field}: ${first.message}` : message, { serverMessage: message, ...init });
    this.errors = errors;
    this.field = first?.field;
  }
}

export interface RateLimitInit extends Partial<APIErrorInit> {
  retryAfter?: number | undefined;
  limit?: number | undefined;
  remaining?: number | undefined;
  reset?: number | undefined;
}

/** A rate limit is exhausted. `retryAfter` is how many seconds until it resets. */
export class TavoRateLimitError extends TavoAPIError {
  /** Seconds until the limit resets (as the server's Retry-After), if known. */
  readonly retryAfter: number | undefined;
  readonly limit: number | undefined;
  readonly remaining: number | undefined;
  /** Unix time (seconds) of the reset, if known. */
  readonly reset: number | undefined;
  constructor(message: string, init: RateLimitInit = {}) {
    const wait = init.retryAfter !== undefined ? `; retry after ${formatSeconds(init.retryAfter)}s` : '';
    // Says "rate limit" in words: code that looks for it in the text finds it.
    super(`rate limit exceeded: ${message}${wait}`, {
      serverMessage: message,
      ...init,
      statusCode: init.statusCode ?? 429,
      code: init.code ?? 'RATE_LIMIT_EXCEEDED',
    });
    this.retryAfter = init.retryAfter;
    this.limit = init.limit;
    this.remaining = init.remaining;
    this.reset = init.reset;
  }
}

/** A successful status whose body is not the JSON expected (not JSON, or cut short). */
export class TavoResponseError extends TavoError {
  readonly statusCode: number;
  readonly body: string;
  constructor(message: string, statusCode: number, body: string, cause?: unknown) {
    super(message, { cause });
    this.statusCode = statusCode;
    this.body = body.length > 500 ? `${body.slice(0, 500)}…` : body;
  }
}

/** The server could not be reached, or the connection broke, after the allowed retries. */
export class TavoConnectionError extends TavoError {
  readonly code: string | undefined;
  constructor(message: string, options?: { cause?: unknown; code?: string | undefined }) {
    super(message, options);
    this.code = options?.code;
  }
}

/** Connecting, sending or receiving took longer than the timeout (or a wait did). */
export class TavoTimeoutError extends TavoError {}

/** The caller's AbortSignal fired; `reason` is the signal's reason. Never retried. */
export class TavoAbortError extends TavoError {
  readonly reason: unknown;
  constructor(reason: unknown) {
    super(`the request was aborted${reason instanceof Error ? `: ${reason.message}` : ''}`, { cause: reason });
    this.reason = reason;
  }
}

/**
 * The circuit breaker is open after repeated failures: requests fail fast until its
 * recovery timeout has passed and a probe request succeeds.
 */
export class CircuitOpenError extends TavoError {
  /** Milliseconds until the breaker lets a probe request through (undefined: not known). */
  readonly retryAfterMs: number | undefined;
  constructor(message = 'circuit breaker is open', retryAfterMs?: number) {
    super(message);
    this.retryAfterMs = retryAfterMs;
  }
}

/** The name the seed's hand-written circuit breaker raises. */
export const CircuitBreakerOpenError = CircuitOpenError;

function formatSeconds(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3).replace(/\.?0+$/, '');
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function fieldErrors(details: Record<string, unknown> | undefined): [FieldError[], boolean] {
  const raw = details?.['errors'] ?? details?.['detail'];
  const found: FieldError[] = [];
  if (Array.isArray(raw)) {
    for (const item of raw as unknown[]) {
      if (typeof item !== 'object' || item === null) continue;
      const entry = item as Record<string, unknown>;
      const where = entry['location'] ?? entry['loc'];
      const loc = Array.isArray(where) ? (where as (string | number)[]) : [];
      // FastAPI-style locations start with where the value was ("body", "query"...).
      const path = loc.length > 1 && ['body', 'query', 'path', 'header'].includes(String(loc[0])) ? loc.slice(1) : loc;
      const field = typeof entry['field'] === 'string' ? entry['field'] : path.join('.');
      const message = text(entry['msg'] ?? entry['message'] ?? 'invalid');
      found.push({ field, loc, message, ...(typeof entry['type'] === 'string' ? { type: entry['type'] } : {}) });
    }
  } else if (typeof details?.['field'] === 'string') {
    found.push({ field: details['field'], loc: [details['field']], message: text(details['reason'] ?? details['message'] ?? 'invalid') });
  } else if (details && Object.keys(details).length === 1) {
    // e.g. INVALID_REPOSITORY_URL: {"repository_url": "<the value refused>"}
    const field = Object.keys(details)[0] as string;
    found.push({ field, loc: [field], message: `refused value ${JSON.stringify(details[field])}` });
  }
  return [found, Array.isArray(raw)];
}

const BY_STATUS: Record<number, new (message: string, init: APIErrorInit) => TavoAPIError> = {
  400: TavoValidationError,
  401: TavoAuthError,
  403: TavoAuthError,
  404: TavoNotFoundError,
  409: TavoConflictError,
  413: TavoValidationError,
  422: TavoValidationError,
};

function intOrUndefined(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? Math.trunc(number) : undefined;
}

/**
 * The error for a non-2xx response, read from the error envelope
 * `{"success": false, "error": {"code", "message", "details"}}` when there is one.
 */
export function errorForStatus(
  statusCode: number,
  body: unknown,
  headers: Record<string, string>,
  retryAfter?: number,
): TavoAPIError {
  const envelope = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['error'] : undefined;
  let code = 'HTTP_ERROR';
  let message = `the server answered HTTP ${statusCode}`;
  let details: Record<string, unknown> = {};
  if (typeof envelope === 'object' && envelope !== null) {
    const error = envelope as Record<string, unknown>;
    code = typeof error['code'] === 'string' && error['code'] ? error['code'] : code;
    message = typeof error['message'] === 'string' && error['message'] ? error['message'] : `HTTP ${statusCode}`;
    const raw = error['details'];
    details = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  }
  const requestId = headers['x-request-id'];
  if (statusCode === 429) {
    return new TavoRateLimitError(message, {
      statusCode,
      code,
      details,
      requestId,
      headers,
      retryAfter,
      limit: intOrUndefined(details['limit'] ?? headers['x-ratelimit-limit']),
      remaining: intOrUndefined(details['remaining'] ?? headers['x-ratelimit-remaining']),
      reset: intOrUndefined(details['reset'] ?? headers['x-ratelimit-reset']),
    });
  }
  const Class = BY_STATUS[statusCode] ?? (statusCode >= 500 ? TavoServerError : TavoAPIError);
  return new Class(message, { statusCode, code, details, requestId, headers });
}
