/** Every default of the SDK in one place (the Python SDK's, with durations in milliseconds). */

/** Where the client connects and who it is, when not given: these environment variables. */
export const BASE_URL_ENV = 'TAVO_BASE_URL';
export const API_KEY_ENV = 'TAVO_API_KEY';
/** `tavo serve` listens here by default. */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8700';
export const API_PREFIX = '/api/v1';

/** One attempt (connect, send, receive) may take this long. */
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Connection pool. */
export const DEFAULT_MAX_CONNECTIONS = 100;
export const DEFAULT_KEEPALIVE_MS = 15_000;

/** Retries: exponential backoff with full jitter, initial * 2**retry capped at the maximum. */
export const DEFAULT_MAX_RETRIES = 3;
export const INITIAL_RETRY_DELAY_MS = 500;
export const MAX_RETRY_DELAY_MS = 8_000;
export const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);
/**
 * A Retry-After (or a rate-limit reset) longer than this is not waited for: the error is
 * raised at once, carrying the wait the server asked for.
 */
export const MAX_RATE_LIMIT_WAIT_MS = 60_000;
/** While a key's remaining budget may be taken by requests in flight, look again this often. */
export const IN_FLIGHT_RECHECK_MS = 20;

/** Request bodies at least this large are sent gzip-compressed. */
export const GZIP_MIN_BYTES = 1024;
export const GZIP_LEVEL = 6;

/** HTTP cache (in memory). */
export const CACHE_MAX_ENTRIES = 512;
export const CACHE_MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Metrics keep the latencies of this many recent calls for percentiles. */
export const METRICS_LATENCY_WINDOW = 10_000;

/** Circuit breaker (off unless switched on). */
export const CIRCUIT_FAILURE_THRESHOLD = 5;
export const CIRCUIT_RECOVERY_TIMEOUT_MS = 30_000;

/** waitForScan: polling when the event stream is not available. */
export const POLL_INITIAL_INTERVAL_MS = 500;
export const POLL_MAX_INTERVAL_MS = 5_000;
export const POLL_BACKOFF = 1.5;
export const DEFAULT_SCAN_WAIT_TIMEOUT_MS = 600_000;
/** The server sends a keep-alive comment every 15 s: a stream's read timeout outlasts it. */
export const STREAM_READ_TIMEOUT_MS = 30_000;

/** Server limits the SDK works within. */
export const MAX_BULK_SCANS = 100;
export const MAX_BULK_STATUS_IDS = 500;
export const DEFAULT_PAGE_SIZE = 100;
/** The server holds a GET of an unfinished analysis open for at most this long. */
export const MAX_ANALYSIS_SERVER_WAIT_MS = 60_000;
export const ANALYSIS_RESULT_PAGE = 500;

export const VERSION = '0.1.0';
