package io.tavo.sdk;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Function;

import javax.net.ssl.SSLContext;

import io.tavo.sdk.internal.ApiClient;
import io.tavo.sdk.internal.ConnectionLimiter;
import io.tavo.sdk.internal.HttpCache;
import io.tavo.sdk.internal.Transport;

/**
 * Settings of a {@link TavoClient}. Anything not set comes from the environment (TAVO_API_KEY,
 * TAVO_BASE_URL) or the defaults of the Python SDK. A setter given a bad value throws
 * IllegalArgumentException naming the option at once.
 */
public final class TavoClientBuilder {
    private List<String> apiKeys;
    private String baseUrl;
    private int maxConnections = Defaults.MAX_CONNECTIONS;
    private Duration connectionTimeout = Defaults.CONNECT_TIMEOUT;
    private Duration readTimeout = Defaults.READ_TIMEOUT;
    private Duration poolTimeout = Defaults.POOL_TIMEOUT;
    private Integer maxRetries;
    private RetryPolicy retryPolicy;
    private Executor executor;
    private HttpClient.Version httpVersion;
    private boolean cache = true;
    private boolean waitForRateLimit = true;
    private Duration maxRateLimitWait = Defaults.MAX_RATE_LIMIT_WAIT;
    private CircuitBreaker circuitBreaker;
    private boolean compressRequests = true;
    private final Map<String, String> defaultHeaders = new LinkedHashMap<>();
    private final List<Consumer<Request>> requestHooks = new ArrayList<>();
    private final List<Consumer<Response>> responseHooks = new ArrayList<>();
    private SSLContext sslContext;
    private Function<String, String> environment = System::getenv;
    private Boolean asyncOnOwnThreads;

    TavoClientBuilder() {}

    /** One API key, or several separated by commas (requests are spread over them). */
    public TavoClientBuilder withApiKey(String apiKey) {
        if (apiKey == null) {
            throw new IllegalArgumentException("apiKey must not be null");
        }
        List<String> keys = splitKeys(apiKey);
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("apiKey must not be empty");
        }
        apiKeys = keys;
        return this;
    }

    /** Several API keys: each request goes with the key that has the most budget left. */
    public TavoClientBuilder withApiKeys(List<String> keys) {
        if (keys == null || keys.isEmpty() || keys.stream().anyMatch(k -> k == null || k.isBlank())) {
            throw new IllegalArgumentException("apiKeys must be a non-empty list of non-empty keys");
        }
        apiKeys = keys.stream().map(String::strip).toList();
        return this;
    }

    public TavoClientBuilder withApiKeys(String... keys) {
        if (keys == null) {
            throw new IllegalArgumentException("apiKeys must not be null");
        }
        return withApiKeys(Arrays.asList(keys));
    }

    /** The server, e.g. {@code https://tavo.example.com} (a trailing /api/v1 is accepted). */
    public TavoClientBuilder withBaseUrl(String url) {
        baseUrl = normaliseBaseUrl(url);
        return this;
    }

    /** At most this many connections (and so requests on the wire) at once; more wait their turn. */
    public TavoClientBuilder withMaxConnections(int value) {
        if (value < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1 (got " + value + ")");
        }
        maxConnections = value;
        return this;
    }

    /** How long establishing a connection may take. */
    public TavoClientBuilder withConnectionTimeout(Duration value) {
        connectionTimeout = positive("connectionTimeout", value);
        return this;
    }

    /** How long to wait for a response after sending the request. */
    public TavoClientBuilder withReadTimeout(Duration value) {
        readTimeout = positive("readTimeout", value);
        return this;
    }

    /** How long a request may wait for a free connection when maxConnections are in use. */
    public TavoClientBuilder withPoolTimeout(Duration value) {
        poolTimeout = positive("poolTimeout", value);
        return this;
    }

    /** Retries of connection errors, timeouts, 429 and 502/503/504 (default 3). */
    public TavoClientBuilder withMaxRetries(int value) {
        if (value < 0) {
            throw new IllegalArgumentException("maxRetries must not be negative (got " + value + ")");
        }
        maxRetries = value;
        return this;
    }

    /** The whole retry policy (backoff, statuses, longest server-asked wait). */
    public TavoClientBuilder withRetryPolicy(RetryPolicy policy) {
        if (policy == null) {
            throw new IllegalArgumentException("retryPolicy must not be null");
        }
        retryPolicy = policy;
        return this;
    }

    /** Runs the HTTP client's work and the async continuations (default: the JDK's own pools). */
    public TavoClientBuilder withExecutor(Executor value) {
        if (value == null) {
            throw new IllegalArgumentException("executor must not be null");
        }
        executor = value;
        return this;
    }

    /**
     * HTTP/2 or HTTP/1.1. Default: HTTP/2 over https (negotiated by ALPN, HTTP/1.1 where the server
     * does not offer it) and HTTP/1.1 over plain http, where the JDK could only offer an h2c upgrade
     * on every request, which {@code tavo serve} declines. HTTP_2 here makes it offer that upgrade.
     */
    public TavoClientBuilder withHttpVersion(HttpClient.Version value) {
        if (value == null) {
            throw new IllegalArgumentException("httpVersion must not be null");
        }
        httpVersion = value;
        return this;
    }

    /** HTTP caching of GETs (freshness and ETag revalidation), on by default. */
    public TavoClientBuilder withCache(boolean value) {
        cache = value;
        return this;
    }

    /** When every key is out of budget, wait for the reset (up to maxRateLimitWait) instead of throwing. */
    public TavoClientBuilder withWaitForRateLimit(boolean value) {
        waitForRateLimit = value;
        return this;
    }

    public TavoClientBuilder withMaxRateLimitWait(Duration value) {
        if (value == null || value.isNegative()) {
            throw new IllegalArgumentException("maxRateLimitWait must be a non-negative duration (got " + value + ")");
        }
        maxRateLimitWait = value;
        return this;
    }

    /** Fail fast while the server is down (off by default). */
    public TavoClientBuilder withCircuitBreaker(CircuitBreaker breaker) {
        circuitBreaker = breaker;
        return this;
    }

    /** true: a circuit breaker with the defaults (5 failures, 30 s); false: none. */
    public TavoClientBuilder withCircuitBreaker(boolean enabled) {
        circuitBreaker = enabled ? new CircuitBreaker() : null;
        return this;
    }

    /** gzip request bodies of 1 KiB and more (on by default). */
    public TavoClientBuilder withCompressRequests(boolean value) {
        compressRequests = value;
        return this;
    }

    public TavoClientBuilder withDefaultHeader(String name, String value) {
        if (name == null || name.isBlank() || value == null) {
            throw new IllegalArgumentException("defaultHeader needs a name and a value");
        }
        defaultHeaders.put(name, value);
        return this;
    }

    /** Called with every request as it is sent (metrics, logging, tracing). */
    public TavoClientBuilder withRequestHook(Consumer<Request> hook) {
        if (hook == null) {
            throw new IllegalArgumentException("requestHook must not be null");
        }
        requestHooks.add(hook);
        return this;
    }

    /** Called with every response received from the wire (not with answers from the cache). */
    public TavoClientBuilder withResponseHook(Consumer<Response> hook) {
        if (hook == null) {
            throw new IllegalArgumentException("responseHook must not be null");
        }
        responseHooks.add(hook);
        return this;
    }

    /** TLS settings (trusted CAs) for https servers. */
    public TavoClientBuilder withSslContext(SSLContext value) {
        if (value == null) {
            throw new IllegalArgumentException("sslContext must not be null");
        }
        sslContext = value;
        return this;
    }

    /** Where TAVO_API_KEY and TAVO_BASE_URL are read from (tests). */
    /** For tests: async sends on the SDK's threads (true) or the JDK's sendAsync (false); null: by the machine. */
    TavoClientBuilder withAsyncOnOwnThreads(Boolean value) {
        asyncOnOwnThreads = value;
        return this;
    }

    TavoClientBuilder withEnvironment(Function<String, String> lookup) {
        environment = lookup;
        return this;
    }

    public TavoClient build() {
        List<String> keys = apiKeys;
        if (keys == null) {
            keys = splitKeys(nonNull(environment.apply(Defaults.API_KEY_ENV)));
            if (keys.isEmpty()) {
                throw new IllegalArgumentException("apiKey: no API key given and " + Defaults.API_KEY_ENV + " is not set");
            }
        }
        String url = baseUrl;
        if (url == null) {
            String fromEnv = environment.apply(Defaults.BASE_URL_ENV);
            url = normaliseBaseUrl(fromEnv == null || fromEnv.isBlank() ? Defaults.BASE_URL : fromEnv);
        }
        RetryPolicy retry = retryPolicy != null ? retryPolicy : RetryPolicy.builder()
                .maxRetries(maxRetries != null ? maxRetries : Defaults.MAX_RETRIES)
                .maxServerWait(maxRateLimitWait).build();
        HttpClient.Version version = httpVersion != null ? httpVersion
                : url.startsWith("https://") ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1;
        HttpClient.Builder http = HttpClient.newBuilder().version(version).connectTimeout(connectionTimeout)
                .followRedirects(HttpClient.Redirect.NEVER);
        if (executor != null) {
            http.executor(executor);
        }
        if (sslContext != null) {
            http.sslContext(sslContext);
        }
        ConnectionLimiter limiter = new ConnectionLimiter(maxConnections, poolTimeout);
        Transport transport = asyncOnOwnThreads == null ? new Transport(http.build(), limiter)
                : new Transport(http.build(), limiter, asyncOnOwnThreads);
        ApiClient.Config config = new ApiClient.Config(List.copyOf(keys), url, readTimeout, retry, waitForRateLimit,
                maxRateLimitWait, circuitBreaker, compressRequests ? Defaults.GZIP_MIN_BYTES : -1,
                Map.copyOf(defaultHeaders), List.copyOf(requestHooks), List.copyOf(responseHooks), executor,
                "tavo-java/" + TavoSdk.VERSION);
        return new TavoClient(new ApiClient(config, transport, cache ? new HttpCache() : null));
    }

    private static String nonNull(String value) {
        return value == null ? "" : value;
    }

    private static List<String> splitKeys(String value) {
        return Arrays.stream(value.split(",")).map(String::strip).filter(k -> !k.isEmpty()).toList();
    }

    private static Duration positive(String option, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(option + " must be a positive duration (got " + value + ")");
        }
        return value;
    }

    static String normaliseBaseUrl(String value) {
        if (value == null) {
            throw new IllegalArgumentException("baseUrl must not be null");
        }
        String url = value.strip();
        while (url.endsWith("/")) {
            url = url.substring(0, url.length() - 1);
        }
        if (!url.startsWith("http://") && !url.startsWith("https://")) {
            throw new IllegalArgumentException("baseUrl must start with http:// or https:// (got '" + value + "')");
        }
        try {
            if (URI.create(url).getHost() == null) {
                throw new IllegalArgumentException("baseUrl has no host (got '" + value + "')");
            }
        } catch (IllegalArgumentException malformed) {
            throw new IllegalArgumentException("baseUrl is not a valid URL (got '" + value + "')", malformed);
        }
        return url.endsWith(Defaults.API_PREFIX) ? url.substring(0, url.length() - Defaults.API_PREFIX.length()) : url;
    }
}
