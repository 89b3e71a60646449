"""Every default of the SDK in one place. Times are in seconds."""

from __future__ import annotations

# Where the client connects and who it is, when not given: these environment variables.
BASE_URL_ENV = "TAVO_BASE_URL"
API_KEY_ENV = "TAVO_API_KEY"
# `tavo serve` listens here by default.
DEFAULT_BASE_URL = "http://127.0.0.1:8700"
API_PREFIX = "/api/v1"

# Timeouts: establishing a connection, waiting for a free pooled connection, sending a
# request, and waiting between bytes of the response.
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_POOL_TIMEOUT = 10.0
DEFAULT_WRITE_TIMEOUT = 30.0
DEFAULT_READ_TIMEOUT = 30.0

# Connection pool.
DEFAULT_MAX_CONNECTIONS = 100
DEFAULT_MAX_CONNECTIONS_PER_HOST = 0  # 0: bounded only by DEFAULT_MAX_CONNECTIONS
DEFAULT_KEEPALIVE_EXPIRY = 15.0
DNS_CACHE_TTL = 300

# Retries: exponential backoff with full jitter, base * 2**attempt capped at the maximum.
DEFAULT_MAX_RETRIES = 3
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# A Retry-After (or a rate-limit reset) longer than this is not waited for: the error is
# raised at once, carrying the wait the server asked for.
MAX_RATE_LIMIT_WAIT = 60.0
# While a key's remaining budget may be taken by requests still in flight, look again
# this often.
IN_FLIGHT_RECHECK = 0.02

# Request bodies at least this large are sent gzip-compressed.
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 6

# HTTP cache (in memory unless another hishel storage is given).
CACHE_MAX_ENTRIES = 512
CACHE_MAX_BODY_BYTES = 8 * 1024 * 1024

# Metrics keep the latencies of this many recent requests for percentiles.
METRICS_LATENCY_WINDOW = 10_000

# Circuit breaker (off unless switched on).
CIRCUIT_FAILURE_THRESHOLD = 5
CIRCUIT_RECOVERY_TIMEOUT = 30.0

# wait_for_scan: polling when the event stream is not available.
POLL_INITIAL_INTERVAL = 0.5
POLL_MAX_INTERVAL = 5.0
POLL_BACKOFF = 1.5
DEFAULT_SCAN_WAIT_TIMEOUT = 600.0

# Server limits the SDK works within.
MAX_BULK_SCANS = 100
DEFAULT_PAGE_SIZE = 100
