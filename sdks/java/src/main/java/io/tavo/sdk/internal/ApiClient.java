package io.tavo.sdk.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;

import io.tavo.sdk.CircuitBreaker;
import io.tavo.sdk.Metrics;
import io.tavo.sdk.Request;
import io.tavo.sdk.Response;
import io.tavo.sdk.RetryPolicy;
import io.tavo.sdk.TavoConnectionException;
import io.tavo.sdk.TavoException;
import io.tavo.sdk.TavoResponseException;
import io.tavo.sdk.TavoTimeoutException;

/**
 * The one request loop, asynchronous; blocking calls wait for it ({@link #await}).
 *
 * <p>A call goes: prepare (URL, JSON body gzip-compressed when large, an Idempotency-Key for every
 * POST) -> [HTTP cache for GETs] -> pick an API key with budget (or wait / raise) -> circuit breaker
 * -> hooks -> transport -> budgets, breaker, metrics, hooks -> retry or return. Retries happen for
 * connection errors, timeouts, 429 and 502/503/504, and only for requests that may be sent twice:
 * safe methods, and POSTs with their idempotency key (the same key on every attempt, so the server
 * does the work once).
 */
public final class ApiClient {
    /** Settings of one client. */
    public record Config(List<String> apiKeys, String baseUrl, Duration readTimeout, RetryPolicy retry,
                         boolean waitForRateLimit, Duration maxRateLimitWait, CircuitBreaker breaker,
                         int gzipMinBytes, Map<String, String> defaultHeaders, List<Consumer<Request>> requestHooks,
                         List<Consumer<Response>> responseHooks, Executor executor, String userAgent) {}

    private record Prepared(String method, String url, Map<String, String> headers, byte[] body, String scope,
                            boolean cacheable, boolean replaySafe, Duration timeout, boolean blocking) {}

    /**
     * Set while a blocking method starts its calls ({@link #call}): those run in the caller's
     * thread to the end (the JDK client's own blocking send, waits as sleeps), since the caller
     * waits anyway. No executor hop, and no thread per request: the JDK's sendAsync hands each
     * completion to CompletableFuture's default executor, a new thread per task where the common
     * pool has one thread (machines with two cores).
     */
    private static final ThreadLocal<boolean[]> BLOCKING = ThreadLocal.withInitial(() -> new boolean[1]);

    private final Config config;
    private final Transport transport;
    private final HttpCache cache;
    private final KeyPool keys;
    private final Metrics metrics = new Metrics();
    private final Map<String, String> baseHeaders;
    private final Map<String, String> authorization = new java.util.concurrent.ConcurrentHashMap<>();

    public ApiClient(Config config, Transport transport, HttpCache cache) {
        this.config = config;
        this.transport = transport;
        this.cache = cache;
        this.keys = new KeyPool(config.apiKeys());
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("User-Agent", config.userAgent());
        headers.put("Accept", "application/json");
        headers.put("Accept-Encoding", "gzip");
        headers.putAll(config.defaultHeaders());
        this.baseHeaders = Map.copyOf(headers);
    }

    public Config config() { return config; }
    public Metrics metrics() { return metrics; }
    public KeyPool keys() { return keys; }
    public Transport transport() { return transport; }
    public HttpCache cache() { return cache; }

    // --- calls ---------------------------------------------------------------------------------

    /** The body of a successful call as {@code model} (JsonNode: the tree; Void: nothing). */
    public <T> CompletableFuture<T> request(ApiRequest request, Class<T> model) {
        Prepared prepared;
        try {
            prepared = prepare(request);
        } catch (RuntimeException error) {
            return CompletableFuture.failedFuture(error);
        }
        long started = System.nanoTime();
        return withRetries(prepared, 0).thenApply(response -> interpret(response, model))
                .whenComplete((value, error) -> metrics.recordCall(System.nanoTime() - started, error != null));
    }

    /**
     * A blocking call: starts the calls of {@code call} in this thread (each goes to the end in it,
     * see {@link #BLOCKING}) and waits for the result, or throws its Tavo exception.
     */
    public static <T> T call(java.util.function.Supplier<CompletableFuture<T>> call) {
        boolean[] blocking = BLOCKING.get();
        boolean was = blocking[0];
        CompletableFuture<T> future;
        blocking[0] = true;
        try {
            future = call.get();
        } finally {
            blocking[0] = was;
        }
        return await(future);
    }

    /**
     * Starts calls meant to run side by side (parts of one bulk call) even from a blocking
     * method: {@code start} runs with calls going asynchronously, as from an async method.
     */
    public static <T> T concurrently(java.util.function.Supplier<T> start) {
        boolean[] blocking = BLOCKING.get();
        boolean was = blocking[0];
        blocking[0] = false;
        try {
            return start.get();
        } finally {
            blocking[0] = was;
        }
    }

    /** Waits for a call: its value, or its Tavo exception thrown in the caller's thread. */
    public static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException interrupted) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new TavoException("interrupted while waiting for the server", interrupted);
        } catch (ExecutionException failed) {
            throw unwrap(failed);
        }
    }

    /** The exception a failed future stands for. */
    public static RuntimeException unwrap(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof RuntimeException runtime) {
            return runtime;
        }
        return new TavoException(String.valueOf(cause), cause);
    }

    // --- preparing -----------------------------------------------------------------------------

    private Prepared prepare(ApiRequest request) {
        String url = config.baseUrl() + request.path();
        String query = request.queryString();
        if (!query.isEmpty()) {
            url = url + "?" + query;
        }
        String method = request.method();
        byte[] body = request.body();
        boolean plain = body == null && request.json() == null && request.contentType() == null && !method.equals("POST");
        // A plain GET or DELETE sends the client's headers as they are: no copy.
        Map<String, String> headers = plain ? baseHeaders : new LinkedHashMap<>(baseHeaders);
        if (request.json() != null) {
            body = Json.write(request.json());
            headers.put("Content-Type", "application/json");
        } else if (request.contentType() != null) {
            headers.put("Content-Type", request.contentType());
        }
        if (body != null && config.gzipMinBytes() >= 0 && body.length >= config.gzipMinBytes()) {
            body = gzip(body);
            headers.put("Content-Encoding", "gzip");
        }
        if (method.equals("POST")) {
            // One key for every attempt of this call: a retried POST is done once.
            String key = request.idempotencyKey();
            headers.put("Idempotency-Key", key != null ? key : UUID.randomUUID().toString().replace("-", ""));
        }
        boolean replaySafe = !method.equals("POST") && !method.equals("PATCH") || headers.containsKey("Idempotency-Key");
        Duration timeout = request.timeout() != null ? request.timeout() : config.readTimeout();
        return new Prepared(method, url, plain ? headers : Map.copyOf(headers), body, request.scope(),
                request.cacheable() && method.equals("GET"), replaySafe, timeout, BLOCKING.get()[0]);
    }

    private static byte[] gzip(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length / 4 + 64);
        try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
            zip.write(body);
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
        return out.toByteArray();
    }

    // --- the loop ------------------------------------------------------------------------------

    private CompletableFuture<Response> withRetries(Prepared prepared, int retries) {
        return attempt(prepared).handle((response, error) -> {
            Duration delay;
            if (error != null) {
                RuntimeException cause = unwrap(error);
                boolean transientFailure = cause instanceof TavoConnectionException || cause instanceof TavoTimeoutException;
                if (!transientFailure || !config.retry().canRetry(retries, prepared.replaySafe())) {
                    return CompletableFuture.<Response>failedFuture(cause);
                }
                delay = config.retry().backoff(retries);
            } else {
                if (response.isSuccess() || response.statusCode() == 304) {
                    return CompletableFuture.completedFuture(response);
                }
                delay = retryDelay(prepared, retries, response);
                if (delay == null) {
                    return CompletableFuture.<Response>failedFuture(Errors.forResponse(response));
                }
            }
            metrics.recordRetry();
            return pause(delay, prepared.blocking()).thenCompose(ignored -> withRetries(prepared, retries + 1));
        }).thenCompose(next -> next);
    }

    private Duration retryDelay(Prepared prepared, int retries, Response response) {
        if (!config.retry().canRetry(retries, prepared.replaySafe())) {
            return null;
        }
        if (response.statusCode() == 429) {
            // The pool now knows this key is spent: another key goes at once, else the next attempt
            // waits for the reset (in acquireKey), if waiting is allowed and not too long.
            Duration wait = keys.availableIn(prepared.scope());
            if (wait.isZero()) {
                return Duration.ZERO;
            }
            return keyWaitAllowed(wait) ? Duration.ZERO : null;
        }
        return config.retry().delayForStatus(retries, response.statusCode(), response.headers());
    }

    private boolean keyWaitAllowed(Duration wait) {
        return config.waitForRateLimit() && wait.compareTo(config.maxRateLimitWait()) <= 0;
    }

    /** A future completed after {@code delay} (at once for zero), on the client's executor. */
    public CompletableFuture<Void> after(Duration delay) {
        if (delay.isZero() || delay.isNegative()) {
            return CompletableFuture.completedFuture(null);
        }
        Executor later = CompletableFuture.delayedExecutor(delay.toNanos(), TimeUnit.NANOSECONDS, executor());
        return CompletableFuture.runAsync(() -> { }, later);
    }

    /** {@link #after}, or for a blocking call a sleep in this thread. */
    private CompletableFuture<Void> pause(Duration delay, boolean blocking) {
        if (!blocking || delay.isZero() || delay.isNegative()) {
            return after(delay);
        }
        try {
            Thread.sleep(delay.toMillis(), delay.toNanosPart() % 1_000_000);
            return CompletableFuture.completedFuture(null);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new TavoException("interrupted while waiting to retry", interrupted));
        }
    }

    private Executor executor() {
        Executor executor = config.executor();
        return executor != null ? executor : java.util.concurrent.ForkJoinPool.commonPool();
    }

    private CompletableFuture<Response> attempt(Prepared prepared) {
        if (prepared.cacheable() && cache != null) {
            return cache.fetch(prepared.url(), extra -> send(prepared, extra)).thenApply(outcome -> {
                if (outcome.hit() || outcome.revalidated()) {
                    metrics.recordCache(outcome.hit(), outcome.revalidated());
                }
                return outcome.response();
            });
        }
        return send(prepared, Map.of());
    }

    private CompletableFuture<String> acquireKey(String scope, boolean waited, boolean blocking) {
        KeyPool.Lease lease = keys.acquire(scope);
        if (lease.key() != null) {
            return CompletableFuture.completedFuture(lease.key());
        }
        if (!keyWaitAllowed(lease.delay())) {
            return CompletableFuture.failedFuture(keys.exhaustedError(scope, lease.delay()));
        }
        if (!waited) {
            metrics.recordRateLimitWait();
        }
        return pause(lease.delay(), blocking).thenCompose(ignored -> acquireKey(scope, true, blocking));
    }

    private Request wire(Prepared prepared, String key, Map<String, String> extra) {
        Map<String, String> headers = new LinkedHashMap<>(prepared.headers().size() + extra.size() + 2);
        headers.putAll(prepared.headers());
        headers.put("Authorization", authorization.computeIfAbsent(key, k -> "Bearer " + k));
        headers.putAll(extra);
        return new Request(prepared.method(), prepared.url(), headers, prepared.body(), prepared.timeout());
    }

    private CompletableFuture<Response> send(Prepared prepared, Map<String, String> extra) {
        return acquireKey(prepared.scope(), false, prepared.blocking()).thenCompose(key -> {
            CompletableFuture<Response> sent;
            try {
                if (config.breaker() != null) {
                    config.breaker().beforeRequest();
                }
                Request request = wire(prepared, key, extra);
                config.requestHooks().forEach(hook -> hook.accept(request));
                sent = transport.send(request, prepared.blocking());
            } catch (RuntimeException error) {
                keys.release(key, null, null, prepared.scope());
                return CompletableFuture.failedFuture(error);
            }
            return sent.handle((response, error) -> {
                if (error != null) {
                    RuntimeException cause = unwrap(error);
                    if (cause instanceof TavoConnectionException || cause instanceof TavoTimeoutException) {
                        observe(key, prepared, null);
                    } else {
                        keys.release(key, null, null, prepared.scope());
                    }
                    throw cause;
                }
                observe(key, prepared, response);
                config.responseHooks().forEach(hook -> hook.accept(response));
                return response;
            });
        });
    }

    /** After an attempt: budgets, breaker and metrics learn how it went. */
    private void observe(String key, Prepared prepared, Response response) {
        Integer status = response != null ? response.statusCode() : null;
        keys.release(key, status, response != null ? response.headers() : null, prepared.scope());
        CircuitBreaker breaker = config.breaker();
        if (breaker != null) {
            if (status == null || status >= 500) {
                breaker.recordFailure();
            } else {
                breaker.recordSuccess();
            }
        }
        metrics.recordAttempt(prepared.body() == null ? 0 : prepared.body().length,
                response != null ? response.body().length : 0, status);
    }

    // --- reading -------------------------------------------------------------------------------

    private <T> T interpret(Response response, Class<T> model) {
        if (model == Void.class) {
            return null;
        }
        if (response.cacheEntry() instanceof HttpCache.Entry entry) {
            return entry.decoded(model, body -> decode(response.statusCode(), body, model));
        }
        return decode(response.statusCode(), response.body(), model);
    }

    /** A body as {@code model}; a body that is not JSON of that shape is a TavoResponseException. */
    public static <T> T decode(int status, byte[] body, Class<T> model) {
        JsonNode tree;
        try {
            tree = body.length == 0 ? null : Json.parse(body);
        } catch (IOException error) {
            throw new TavoResponseException("the server answered HTTP " + status + " with a body that is not JSON", status, error);
        }
        if (model == JsonNode.class) {
            return model.cast(tree);
        }
        if (tree == null) {
            throw new TavoResponseException("the server answered HTTP " + status + " with an empty body", status, null);
        }
        try {
            return Json.read(tree, model);
        } catch (Json.ShapeException error) {
            throw new TavoResponseException("unexpected response shape for " + model.getSimpleName() + ": "
                    + error.getMessage(), status, error);
        }
    }

    // --- streams -------------------------------------------------------------------------------

    /**
     * A streamed GET (Server-Sent Events): lines go to {@code lines}; a non-2xx answer fails the
     * future with its API error. No cache and no retries: callers fall back to polling.
     */
    public CompletableFuture<Void> stream(ApiRequest request, java.util.concurrent.Flow.Subscriber<String> lines) {
        Prepared prepared = prepare(request.uncached());
        return acquireKey(prepared.scope(), false, false).thenCompose(key -> {
            Map<String, String> extra = Map.of("Accept", "text/event-stream");
            CompletableFuture<Void> done;
            Response[] head = new Response[1];
            try {
                if (config.breaker() != null) {
                    config.breaker().beforeRequest();
                }
                Request wired = wire(prepared, key, extra);
                config.requestHooks().forEach(hook -> hook.accept(wired));
                done = transport.stream(wired, lines, response -> {
                    head[0] = response;
                    observe(key, prepared, response);
                    config.responseHooks().forEach(hook -> hook.accept(response));
                });
            } catch (RuntimeException error) {
                keys.release(key, null, null, prepared.scope());
                return CompletableFuture.failedFuture(error);
            }
            return done.handle((ignored, error) -> {
                if (head[0] == null) {
                    RuntimeException cause = error != null ? unwrap(error) : null;
                    if (cause instanceof TavoConnectionException || cause instanceof TavoTimeoutException) {
                        observe(key, prepared, null);
                    } else {
                        keys.release(key, null, null, prepared.scope());
                    }
                }
                if (head[0] != null && !head[0].isSuccess()) {
                    throw Errors.forResponse(head[0]);
                }
                if (error != null) {
                    throw unwrap(error);
                }
                return null;
            });
        });
    }
}
