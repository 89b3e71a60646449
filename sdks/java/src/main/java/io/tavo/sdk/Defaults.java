package io.tavo.sdk;

import java.time.Duration;
import java.util.Set;

/** Every default of the SDK in one place; the same values as the Python SDK's {@code _constants}. */
public final class Defaults {
    private Defaults() {}

    /** Where the client connects and who it is, when not given: these environment variables. */
    public static final String BASE_URL_ENV = "TAVO_BASE_URL";
    public static final String API_KEY_ENV = "TAVO_API_KEY";
    /** {@code tavo serve} listens here by default. */
    public static final String BASE_URL = "http://127.0.0.1:8700";
    public static final String API_PREFIX = "/api/v1";

    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration POOL_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    public static final int MAX_CONNECTIONS = 100;

    /** Retries: exponential backoff with full jitter, initial * 2^retry capped at the maximum. */
    public static final int MAX_RETRIES = 3;
    public static final Duration INITIAL_RETRY_DELAY = Duration.ofMillis(500);
    public static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(8);
    public static final Set<Integer> RETRY_STATUSES = Set.of(429, 502, 503, 504);
    /** A Retry-After (or rate-limit reset) longer than this is not waited for: the error is raised. */
    public static final Duration MAX_RATE_LIMIT_WAIT = Duration.ofSeconds(60);
    /** While a key's remaining budget may be taken by requests in flight, look again this often. */
    public static final Duration IN_FLIGHT_RECHECK = Duration.ofMillis(20);

    /** Request bodies at least this large are sent gzip-compressed. */
    public static final int GZIP_MIN_BYTES = 1024;

    public static final int CACHE_MAX_ENTRIES = 512;
    public static final int CACHE_MAX_BODY_BYTES = 8 * 1024 * 1024;

    public static final int METRICS_LATENCY_WINDOW = 10_000;

    public static final int CIRCUIT_FAILURE_THRESHOLD = 5;
    public static final Duration CIRCUIT_RECOVERY_TIMEOUT = Duration.ofSeconds(30);

    /** waitForScan: polling when the event stream is not available. */
    public static final Duration POLL_INITIAL_INTERVAL = Duration.ofMillis(500);
    public static final Duration POLL_MAX_INTERVAL = Duration.ofSeconds(5);
    public static final double POLL_BACKOFF = 1.5;
    public static final Duration SCAN_WAIT_TIMEOUT = Duration.ofSeconds(600);

    public static final int MAX_BULK_SCANS = 100;
    public static final int MAX_BULK_STATUS_IDS = 500;
    public static final int PAGE_SIZE = 100;
    public static final int ANALYSIS_RESULT_PAGE = 500;
    /** The server holds a GET of an unfinished analysis open for at most this long. */
    public static final Duration MAX_ANALYSIS_SERVER_WAIT = Duration.ofSeconds(60);
}
