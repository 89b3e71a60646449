package io.tavo.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import io.tavo.sdk.internal.ApiClient;
import io.tavo.sdk.internal.ApiRequest;
import io.tavo.sdk.internal.Errors;
import io.tavo.sdk.internal.KeyPool;
import io.tavo.sdk.internal.ServerWait;
import io.tavo.sdk.internal.SseDecoder;
import io.tavo.sdk.models.ScanStatus;
import io.tavo.sdk.models.Severity;

/** The pure parts: retry decisions, server waits, key budgets, the breaker, SSE, decoding, errors. */
class UnitTest {
    @Test
    void backoffIsFullJitterCappedAtTheMaximum() {
        RetryPolicy top = RetryPolicy.builder().jitter(() -> 0.999999).build();
        RetryPolicy bottom = RetryPolicy.builder().jitter(() -> 0.0).build();
        assertEquals(500, top.backoff(0).toMillis(), 1);
        assertEquals(1000, top.backoff(1).toMillis(), 1);
        assertEquals(8000, top.backoff(10).toMillis(), 1);
        assertEquals(0, bottom.backoff(3).toMillis());
        RetryPolicy random = RetryPolicy.defaults();
        for (int i = 0; i < 100; i++) {
            long millis = random.backoff(2).toMillis();
            assertTrue(millis >= 0 && millis <= 2000, "backoff " + millis);
        }
        assertTrue(random.canRetry(2, true));
        assertTrue(!random.canRetry(3, true) && !random.canRetry(0, false));
        assertNull(random.delayForStatus(0, 500, Map.of()), "500 is not retried");
        assertEquals(Duration.ofSeconds(2), random.delayForStatus(0, 503, Map.of("retry-after", "2")));
        assertNull(random.delayForStatus(0, 503, Map.of("retry-after", "61")), "longer than the most it waits");
    }

    @Test
    void theServersWaitIsReadFromItsHeaders() {
        assertEquals(Duration.ofMillis(1500), ServerWait.of(Map.of("retry-after", "1.5")));
        assertEquals(Duration.ofSeconds(7), ServerWait.of(Map.of("x-ratelimit-retry-after", "7")));
        String date = ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(30).format(DateTimeFormatter.RFC_1123_DATE_TIME);
        long fromDate = ServerWait.of(Map.of("retry-after", date)).toSeconds();
        assertTrue(fromDate >= 28 && fromDate <= 30, "from an HTTP date: " + fromDate);
        long reset = System.currentTimeMillis() / 1000 + 100;
        long untilReset = ServerWait.of(Map.of("x-ratelimit-reset", String.valueOf(reset))).toSeconds();
        assertTrue(untilReset >= 98 && untilReset <= 100, "until the reset: " + untilReset);
        assertNull(ServerWait.of(Map.of("retry-after", "soon")));
        assertNull(ServerWait.of(Map.of()));
    }

    private static Map<String, String> budget(int limit, int remaining, String window, int secondsLeft) {
        Map<String, String> headers = new HashMap<>();
        headers.put("x-ratelimit-limit", String.valueOf(limit));
        headers.put("x-ratelimit-remaining", String.valueOf(remaining));
        headers.put("x-ratelimit-reset", String.valueOf(System.currentTimeMillis() / 1000 + secondsLeft));
        headers.put("ratelimit", "\"" + window + "\";r=" + remaining + ";t=" + secondsLeft);
        return headers;
    }

    @Test
    void keyBudgetsSteerRequestsAndWaits() {
        AtomicLong now = new AtomicLong(0);
        KeyPool pool = new KeyPool(List.of("key-a-0123456789", "key-b-0123456789"), now::get);
        KeyPool.Lease first = pool.acquire(null);
        assertNotNull(first.key());
        pool.release(first.key(), 200, budget(10, 0, "hour", 60), null);
        KeyPool.Lease second = pool.acquire(null);
        assertTrue(!second.key().equals(first.key()), "a spent key is skipped");
        pool.release(second.key(), 200, budget(10, 0, "hour", 30), null);
        KeyPool.Lease none = pool.acquire(null);
        assertNull(none.key());
        assertEquals(30, none.delay().toSeconds(), "the earliest reset");
        now.addAndGet(Duration.ofSeconds(31).toNanos());
        assertEquals(second.key(), pool.acquire(null).key(), "after its reset a key has budget again");
        TavoRateLimitException error = pool.exhaustedError(null, Duration.ofSeconds(29));
        assertTrue(error.getMessage().contains("all 2 API keys"), error.getMessage());
        assertEquals(10, error.limit());
    }

    @Test
    void aScopedLimitHoldsBackOnlyItsKindOfRequest() {
        AtomicLong now = new AtomicLong(0);
        KeyPool pool = new KeyPool(List.of("only-key-0123456789"), now::get);
        String key = pool.acquire(null).key();
        pool.release(key, 200, budget(1000, 900, "hour", 3000), null);
        key = pool.acquire(ApiRequest.SCAN_CREATION).key();
        Map<String, String> limited = new HashMap<>(budget(10, 0, "scans-hour", 600));
        limited.put("retry-after", "600");
        pool.release(key, 429, limited, ApiRequest.SCAN_CREATION);
        assertNull(pool.acquire(ApiRequest.SCAN_CREATION).key(), "scan creations wait");
        assertNotNull(pool.acquire(null).key(), "other requests go on");
    }

    @Test
    void theCircuitBreakerOpensProbesAndCloses() {
        AtomicLong now = new AtomicLong(0);
        CircuitBreaker breaker = new CircuitBreaker(2, Duration.ofSeconds(10), now::get);
        breaker.recordFailure();
        breaker.beforeRequest();
        breaker.recordFailure();
        assertEquals(CircuitBreaker.State.OPEN, breaker.state());
        assertThrows(CircuitOpenException.class, breaker::beforeRequest);
        now.addAndGet(Duration.ofSeconds(11).toNanos());
        assertEquals(CircuitBreaker.State.HALF_OPEN, breaker.state());
        breaker.beforeRequest(); // the probe
        assertThrows(CircuitOpenException.class, breaker::beforeRequest, "one probe at a time");
        breaker.recordFailure();
        assertEquals(CircuitBreaker.State.OPEN, breaker.state(), "a failed probe opens it again");
        now.addAndGet(Duration.ofSeconds(11).toNanos());
        breaker.beforeRequest();
        breaker.recordSuccess();
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
        assertEquals(0, breaker.failureCount());
    }

    @Test
    void serverSentEventsAreDecoded() {
        SseDecoder decoder = new SseDecoder();
        assertNull(decoder.feed(": keep-alive"));
        assertNull(decoder.feed("event: status"));
        assertNull(decoder.feed("id: 3"));
        assertNull(decoder.feed("data: {\"a\":"));
        assertNull(decoder.feed("data: 1}\r"));
        SseDecoder.Event event = decoder.feed("");
        assertEquals(new SseDecoder.Event("status", "{\"a\":\n1}", "3"), event);
        assertNull(decoder.feed(""), "a blank line alone is no event");
        decoder.feed("data:x");
        assertEquals("message", decoder.feed("").event());
    }

    @Test
    void responsesDecodeIntoImmutableModelsOrTypedErrors() {
        byte[] body = "{\"id\":\"s1\",\"status\":\"completed\",\"finished\":true,\"total_findings\":3,\"newer\":1}"
                .getBytes(StandardCharsets.UTF_8);
        ScanStatus status = ApiClient.decode(200, body, ScanStatus.class);
        assertEquals(new ScanStatus("s1", "completed", true, 3, null, null), status);
        assertThrows(TavoResponseException.class,
                () -> ApiClient.decode(200, "{\"id\":\"s1\",\"status\":1}".getBytes(StandardCharsets.UTF_8), ScanStatus.class));
        assertThrows(TavoResponseException.class, () -> ApiClient.decode(200, new byte[0], ScanStatus.class));
        assertEquals(Severity.HIGH, Severity.parse(" high "));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Severity.parse("urgent")).getMessage().contains("critical"));
    }

    @Test
    void errorEnvelopesBecomeTheirExceptions() {
        String envelope = "{\"success\":false,\"error\":{\"code\":\"VALIDATION_ERROR\",\"message\":\"bad\",\"details\":{\"field\":\"x\"}}}";
        TavoApiException invalid = Errors.forResponse(new Response(422, Map.of("x-request-id", "r1"),
                envelope.getBytes(StandardCharsets.UTF_8), "HTTP/1.1"));
        assertInstanceOf(TavoValidationException.class, invalid);
        assertEquals("VALIDATION_ERROR", invalid.code());
        assertEquals("x", invalid.details().get("field"));
        assertEquals("r1", invalid.requestId());
        assertInstanceOf(TavoAuthException.class, Errors.forResponse(new Response(403, Map.of(), null, "HTTP/1.1")));
        assertInstanceOf(TavoServerException.class, Errors.forResponse(new Response(500, Map.of(), "oops".getBytes(), "HTTP/1.1")));
        TavoApiException teapot = Errors.forResponse(new Response(418, Map.of(), null, "HTTP/1.1"));
        assertEquals(TavoApiException.class, teapot.getClass());
        assertEquals("HTTP_ERROR", teapot.code());
    }

    @Test
    void metricsCountCallsAttemptsAndLatencies() {
        Metrics metrics = new Metrics(3);
        for (long millis : new long[] {10, 20, 30, 40}) {
            metrics.recordCall(Duration.ofMillis(millis).toNanos(), millis == 40);
        }
        metrics.recordAttempt(100, 200, 429);
        metrics.recordRetry();
        assertEquals(4, metrics.requestsTotal());
        assertEquals(0.25, metrics.errorRate());
        assertEquals(Duration.ofMillis(30), metrics.averageLatency(), "over the last three calls");
        assertEquals(Duration.ofMillis(40), metrics.percentile(0.99));
        Map<String, Object> snapshot = metrics.snapshot();
        assertEquals(1L, snapshot.get("rate_limits_hit"));
        assertEquals(100L, snapshot.get("bytes_sent"));
        assertTrue(snapshot.keySet().containsAll(List.of("requests_total", "requests_failed", "retries", "cache_hits",
                "latency_p50", "latency_p90", "latency_p99", "error_rate")));
        metrics.reset();
        assertEquals(0, metrics.requestsTotal());
    }

    @Test
    void aDirectoryIsPackedAsGitWouldTrackIt() throws Exception {
        java.nio.file.Path root = java.nio.file.Files.createTempDirectory("tavo-pack");
        Map<String, String> files = new java.util.LinkedHashMap<>();
        files.put(".gitignore", "# build output\nbuild/\n*.log\n!keep.log\n/secret.py\ndocs/**/*.tmp\n");
        files.put("app.py", "print(1)\n");
        files.put("secret.py", "x\n");
        files.put("lib/secret.py", "kept: the pattern is anchored\n");
        files.put("lib/debug.log", "ignored\n");
        files.put("lib/keep.log", "re-included\n");
        files.put("build/out.py", "ignored\n");
        files.put("docs/a/b/c.tmp", "ignored\n");
        files.put("docs/a/readme.md", "kept\n");
        files.put("sub/.gitignore", "!*.log\nlocal.txt\n");
        files.put("sub/trace.log", "re-included by the nearer file\n");
        files.put("sub/local.txt", "ignored\n");
        files.put(".git/config", "never\n");
        for (var file : files.entrySet()) {
            java.nio.file.Path path = root.resolve(file.getKey());
            java.nio.file.Files.createDirectories(path.getParent());
            java.nio.file.Files.writeString(path, file.getValue());
        }
        java.nio.file.Files.createSymbolicLink(root.resolve("link.py"), root.resolve("app.py"));
        assertEquals(List.of(".gitignore", "app.py", "docs/a/readme.md", "lib/keep.log", "lib/secret.py", "sub/.gitignore",
                "sub/trace.log"), io.tavo.sdk.internal.DirectoryPacker.trackedFiles(root));
        byte[] zip = io.tavo.sdk.internal.DirectoryPacker.pack(root);
        try (var in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(zip))) {
            assertEquals(".gitignore", in.getNextEntry().getName());
        }
    }

    @Test
    void pathsAndQueriesAreEncoded() {
        assertEquals("/api/v1/scans/a%2Fb/status", ApiRequest.path("scans", "a/b", "status"));
        assertEquals("/api/v1/scans/%2E%2E", ApiRequest.path("scans", ".."));
        assertEquals("severity=HIGH&severity=LOW&flag=true&q=a+b",
                ApiRequest.get("/x").withQuery(new java.util.LinkedHashMap<>(Map.of())).withQuery(orderedQuery()).queryString());
    }

    private static Map<String, Object> orderedQuery() {
        Map<String, Object> query = new java.util.LinkedHashMap<>();
        query.put("severity", List.of("HIGH", "LOW"));
        query.put("skip", null);
        query.put("flag", true);
        query.put("q", "a b");
        return query;
    }
}
