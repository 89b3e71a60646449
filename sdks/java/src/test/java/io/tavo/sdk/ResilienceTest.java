package io.tavo.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.Test;

import io.tavo.sdk.FaultProxy.Fake;
import io.tavo.sdk.models.RuleList;
import io.tavo.sdk.models.Scan;
import io.tavo.sdk.resources.CreateScanParams;

/**
 * Retries, rate limits, caching, compression, the circuit breaker and typed errors, against the real
 * server, with a fault-injecting proxy where the server must be made to fail.
 */
class ResilienceTest {
    private static final TestServer SERVER = TestServer.get();
    private static final Map<String, String> JSON_TYPE = Map.of("Content-Type", "application/json");

    private static TavoClient via(FaultProxy proxy, String key) {
        return TavoSdk.createClientBuilder(key).withBaseUrl(proxy.url()).build();
    }

    @Test
    void aRetriedPostKeepsOneIdempotencyKeyAndCreatesOneScan() throws Exception {
        String key = SERVER.unlimitedKey();
        try (FaultProxy proxy = new FaultProxy(SERVER.baseUrl)) {
            proxy.fake(FaultProxy.request("POST", "/api/v1/scans"), 2,
                    seen -> new Fake(503, Map.of("Retry-After", "0"), "{}"));
            TavoClient client = via(proxy, key);
            Scan scan = client.scanManagement().createScan(SERVER.repositoryUrl());
            List<FaultProxy.Seen> posts = proxy.seen("POST", "/api/v1/scans");
            assertEquals(3, posts.size());
            assertEquals(1, new HashSet<>(FaultProxy.idempotencyKeys(posts)).size(), "keys: " + FaultProxy.idempotencyKeys(posts));
            assertNotNull(posts.get(0).headers().get("idempotency-key"));
            assertEquals(2, client.metrics().retries());
            assertEquals(1, client.scanManagement().listScans().total());
            assertEquals(scan.id(), client.scanManagement().listScans().items().get(0).id());
        }
    }

    @Test
    void aReplayedPostGetsTheSameScanAndAnotherBodyIsAConflict() {
        TavoClient client = SERVER.client(SERVER.unlimitedKey()).build();
        Scan first = client.scanManagement().createScan(new CreateScanParams().repositoryUrl(SERVER.repositoryUrl()), "key-1");
        Scan again = client.scanManagement().createScan(new CreateScanParams().repositoryUrl(SERVER.repositoryUrl()), "key-1");
        assertEquals(first.id(), again.id());
        TavoConflictException conflict = assertThrows(TavoConflictException.class, () -> client.scanManagement()
                .createScan(new CreateScanParams().repositoryUrl(SERVER.repositoryUrl()).branch("other"), "key-1"));
        assertEquals(409, conflict.statusCode());
        assertEquals("IDEMPOTENCY_KEY_REUSED", conflict.code());
    }

    @Test
    void retryAfterIsWaitedForAndTooLongAWaitIsNot() throws Exception {
        String key = SERVER.unlimitedKey();
        try (FaultProxy proxy = new FaultProxy(SERVER.baseUrl)) {
            proxy.fake(FaultProxy.request("GET", "/api/v1/repositories"), 1,
                    seen -> new Fake(503, Map.of("Retry-After", "1"), "{}"));
            TavoClient client = via(proxy, key);
            long started = System.nanoTime();
            assertEquals(0, client.repositories().listRepositories().total());
            assertTrue(System.nanoTime() - started >= 950_000_000L, "did not wait for Retry-After");

            proxy.fake(FaultProxy.request("GET", "/api/v1/repositories"), 1, seen -> new Fake(503,
                    Map.of("Retry-After", "3600", "Content-Type", "application/json"),
                    "{\"success\":false,\"error\":{\"code\":\"SERVICE_UNAVAILABLE\",\"message\":\"down\",\"details\":{}}}"));
            long before = client.metrics().attempts();
            TavoServerException down = assertThrows(TavoServerException.class, () -> client.repositories().listRepositories());
            assertEquals("SERVICE_UNAVAILABLE", down.code());
            assertEquals(before + 1, client.metrics().attempts());
        }
    }

    @Test
    void connectionErrorsAreRetriedThenTyped() throws Exception {
        int closed = TestServer.freePort();
        TavoClient client = TavoSdk.createClientBuilder("key").withBaseUrl("http://127.0.0.1:" + closed)
                .withRetryPolicy(RetryPolicy.builder().maxRetries(2).initialDelay(Duration.ofMillis(10)).build()).build();
        assertThrows(TavoConnectionException.class, () -> client.scanManagement().listScans());
        assertEquals(3, client.metrics().attempts());
        assertEquals(2, client.metrics().retries());
        assertEquals(1, client.metrics().requestsFailed());
    }

    @Test
    void theCircuitBreakerFailsFastAfterRepeatedFailures() throws Exception {
        int closed = TestServer.freePort();
        TavoClient client = TavoSdk.createClientBuilder("key").withBaseUrl("http://127.0.0.1:" + closed)
                .withMaxRetries(0).withCircuitBreaker(new CircuitBreaker(3, Duration.ofSeconds(30))).build();
        for (int i = 0; i < 3; i++) {
            assertThrows(TavoConnectionException.class, () -> client.scanManagement().listScans());
        }
        CircuitOpenException open = assertThrows(CircuitOpenException.class, () -> client.scanManagement().listScans());
        assertTrue(open.retryAfter().toSeconds() > 20);
        assertEquals(3, client.metrics().attempts(), "an open circuit sends nothing");
        assertEquals(CircuitBreaker.State.OPEN, client.circuitBreaker().state());
    }

    @Test
    void theClientThrottlesItselfFromRateLimitHeaders() {
        String key = SERVER.createKey("free", null, Map.of("requests_per_hour", 3L));
        TavoClient client = SERVER.client(key).build();
        for (int i = 0; i < 3; i++) {
            client.scanManagement().listScans();
        }
        assertEquals(0, client.rateLimits().get(0).remaining());
        assertEquals(3, client.rateLimits().get(0).limit());
        TavoRateLimitException spent = assertThrows(TavoRateLimitException.class, () -> client.scanManagement().listScans());
        assertTrue(spent.getMessage().contains("rate limit"), spent.getMessage());
        assertTrue(spent.retryAfter().toMinutes() > 1, "resets in " + spent.retryAfter());
        assertEquals(3, client.metrics().attempts(), "the fourth call was not sent");
        assertEquals(0, client.metrics().rateLimitsHit());
    }

    @Test
    void aServer429IsATypedErrorWithItsWait() {
        String key = SERVER.createKey("free", null, Map.of("requests_per_hour", 2L));
        TavoClient spender = SERVER.client(key).build();
        spender.scanManagement().listScans();
        spender.scanManagement().listScans();
        TavoClient unaware = SERVER.client(key).build();
        TavoRateLimitException limited = assertThrows(TavoRateLimitException.class, () -> unaware.scanManagement().listScans());
        assertEquals(429, limited.statusCode());
        assertEquals("RATE_LIMIT_EXCEEDED", limited.code());
        assertEquals(2, limited.limit());
        assertEquals(0, limited.remaining());
        assertTrue(limited.retryAfter().toMinutes() > 1);
        assertEquals(1, unaware.metrics().rateLimitsHit());
    }

    @Test
    void requestsAreSpreadOverSeveralKeys() {
        String org = TestServer.newOrg();
        String first = SERVER.createKey("free", org, Map.of("requests_per_hour", 3L));
        String second = SERVER.createKey("free", org, Map.of("requests_per_hour", 3L));
        List<String> used = Collections.synchronizedList(new ArrayList<>());
        TavoClient client = TavoSdk.createClientBuilder(first + "," + second).withBaseUrl(SERVER.baseUrl)
                .withRequestHook(request -> used.add(request.headers().get("Authorization"))).build();
        for (int i = 0; i < 6; i++) {
            assertEquals(0, client.scanManagement().listScans().total());
        }
        assertEquals(3, Collections.frequency(used, "Bearer " + first));
        assertEquals(3, Collections.frequency(used, "Bearer " + second));
        TavoRateLimitException spent = assertThrows(TavoRateLimitException.class, () -> client.scanManagement().listScans());
        assertTrue(spent.getMessage().contains("all 2 API keys"), spent.getMessage());
        assertEquals(6, used.size());
    }

    @Test
    void largeRequestBodiesAreSentGzipped() throws Exception {
        String key = SERVER.unlimitedKey();
        TavoClient direct = SERVER.client(key).build();
        direct.scanRules().uploadCustomRules("seed-rules.yaml", LiveResourcesTest.SEED_RULES);
        try (FaultProxy proxy = new FaultProxy(SERVER.baseUrl)) {
            TavoClient client = via(proxy, key);
            List<String> rules = new ArrayList<>();
            List<String> exclusions = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                rules.addAll(List.of("rule1", "rule2", "rule3"));
                exclusions.addAll(List.of("path1", "path2", "path3"));
            }
            // The seed's "large scan config", as a map.
            Scan scan = client.scanManagement().createScan(Map.of("repository_url", SERVER.repositoryUrl(),
                    "scan_type", "comprehensive", "rules", rules, "exclusions", exclusions));
            assertEquals(List.of("rule1", "rule2", "rule3"), scan.rules());
            FaultProxy.Seen sent = proxy.seen("POST", "/api/v1/scans").get(0);
            assertEquals("gzip", sent.headers().get("content-encoding"));
            byte[] inflated = new GZIPInputStream(new ByteArrayInputStream(sent.body())).readAllBytes();
            assertTrue(sent.body().length * 5 < inflated.length, sent.body().length + " vs " + inflated.length);
            assertTrue(new String(inflated).contains("\"repository_url\""));

            client.repositories().createRepository(SERVER.repositoryUrl());
            FaultProxy.Seen small = proxy.seen("POST", "/api/v1/repositories").get(0);
            assertEquals(null, small.headers().get("content-encoding"), "a small body goes as it is");
        }
    }

    @Test
    void cachedAnswersAreFreshHitsOrRevalidatedWithTheirETag() throws Exception {
        String key = SERVER.unlimitedKey();
        List<String> wire = Collections.synchronizedList(new ArrayList<>());
        TavoClient direct = SERVER.client(key).withRequestHook(r -> wire.add(r.url())).build();
        RuleList first = direct.scanRules().listRules();
        RuleList second = direct.scanRules().listRules();
        RuleList third = direct.scanRules().listRules();
        assertEquals(first, second);
        assertTrue(second == third, "an answer from the cache is decoded once: the same immutable model");
        assertEquals(1, wire.size());
        assertEquals(2, direct.metrics().cacheHits());

        try (FaultProxy proxy = new FaultProxy(SERVER.baseUrl)) {
            // Stale at once: every use is revalidated with If-None-Match and answered 304.
            proxy.rewrite(response -> Map.of("cache-control", "no-cache"));
            TavoClient client = via(proxy, key);
            RuleList fetched = client.scanRules().listRules();
            RuleList revalidated = client.scanRules().listRules();
            assertEquals(fetched.total(), revalidated.total());
            List<FaultProxy.Seen> gets = proxy.seen("GET", "/api/v1/rules");
            assertEquals(2, gets.size());
            assertNotNull(gets.get(1).headers().get("if-none-match"));
            assertEquals(1, client.metrics().cacheRevalidations());
            assertEquals(1, client.metrics().cacheHits());
            assertTrue(client.metrics().bytesReceived() < 2 * 1024 + fetchedSize(fetched), "the 304 carried no body");
        }
        TavoClient uncached = SERVER.client(key).withCache(false).withRequestHook(r -> wire.add(r.url())).build();
        wire.clear();
        uncached.scanRules().listRules();
        uncached.scanRules().listRules();
        assertEquals(2, wire.size());
    }

    private static long fetchedSize(RuleList rules) {
        return rules.items().size() * 2000L;
    }

    @Test
    void malformedAnswersAreTypedErrors() throws Exception {
        String key = SERVER.unlimitedKey();
        try (FaultProxy proxy = new FaultProxy(SERVER.baseUrl)) {
            TavoClient client = via(proxy, key);
            proxy.fake(FaultProxy.request("GET", "/api/v1/scans"), 1, seen -> new Fake(200, JSON_TYPE, "<html>not json"));
            TavoResponseException notJson = assertThrows(TavoResponseException.class, () -> client.scanManagement().listScans());
            assertTrue(notJson.getMessage().contains("not JSON"), notJson.getMessage());

            proxy.fake(FaultProxy.request("GET", "/api/v1/scans"), 1, seen -> new Fake(200, JSON_TYPE, "{\"items\": \"nope\"}"));
            TavoResponseException shape = assertThrows(TavoResponseException.class, () -> client.scanManagement().listScans());
            assertTrue(shape.getMessage().contains("ScanList.items"), shape.getMessage());

            proxy.fake(FaultProxy.request("GET", "/api/v1/scans/scan_x"), 1, seen -> new Fake(200, JSON_TYPE, "{\"status\": \"queued\"}"));
            TavoResponseException missing = assertThrows(TavoResponseException.class, () -> client.scanManagement().getScan("scan_x"));
            assertTrue(missing.getMessage().contains("has no id"), missing.getMessage());

            proxy.fake(FaultProxy.request("GET", "/api/v1/scans/scan_y/status"), 1, seen -> new Fake(200, JSON_TYPE, "[1, 2]"));
            Throwable async = assertThrows(Exception.class, () -> client.scanManagement().getScanStatusAsync("scan_y").join());
            assertInstanceOf(TavoResponseException.class, async.getCause());

            proxy.fake(FaultProxy.request("GET", "/api/v1/repositories"), 4, seen -> new Fake(502, Map.of("Retry-After", "0"),
                    "<html>bad gateway</html>"));
            TavoServerException gateway = assertThrows(TavoServerException.class, () -> client.repositories().listRepositories());
            assertEquals("HTTP_ERROR", gateway.code());
            assertEquals(502, gateway.statusCode());
        }
    }

    @Test
    void waitingForAScanFallsBackToPollingWhenTheEventStreamFails() throws Exception {
        String key = SERVER.unlimitedKey();
        try (FaultProxy proxy = new FaultProxy(SERVER.baseUrl)) {
            proxy.fake(FaultProxy.request("GET", "/events"), 1, seen -> new Fake(503, JSON_TYPE,
                    "{\"success\":false,\"error\":{\"code\":\"SERVICE_UNAVAILABLE\",\"message\":\"no streams\",\"details\":{}}}"));
            TavoClient client = via(proxy, key);
            Scan scan = client.scanManagement().createScan(SERVER.repositoryUrl());
            assertEquals("completed", client.scanManagement().waitForScan(scan.id(), Duration.ofMinutes(3)).status());
            assertEquals(1, proxy.seen("GET", "/scans/" + scan.id() + "/events").size());
            assertTrue(proxy.seen("GET", "/scans/" + scan.id() + "/status").size() >= 1, "it polled the status");
            assertEquals(0, client.connectionsInUse());
        }
    }

    @Test
    void waitingForAScanTimesOut() {
        TavoClient client = SERVER.client(SERVER.unlimitedKey()).build();
        Scan scan = client.scanManagement().createScan(SERVER.repositoryUrl());
        TavoTimeoutException late = assertThrows(TavoTimeoutException.class,
                () -> client.scanManagement().waitForScan(scan.id(), Duration.ofMillis(1)));
        assertTrue(late.getMessage().contains(scan.id()), late.getMessage());
        client.scanManagement().waitForScan(scan.id(), Duration.ofMinutes(3));
        for (int i = 0; i < 50 && client.connectionsInUse() > 0; i++) {
            TestServer.sleep(20);
        }
        assertEquals(0, client.connectionsInUse(), "the abandoned event streams gave their connections back");
    }

    @Test
    void apiErrorsAreTyped() {
        TavoClient client = SERVER.client(SERVER.unlimitedKey()).build();
        TavoNotFoundException missing = assertThrows(TavoNotFoundException.class, () -> client.scanManagement().getScan("scan_nope"));
        assertEquals("NOT_FOUND", missing.code());
        assertNotNull(missing.requestId());
        TavoValidationException invalid = assertThrows(TavoValidationException.class,
                () -> client.scanManagement().createScan(Map.of("repository_url", "not a url")));
        assertTrue(invalid.statusCode() == 400 || invalid.statusCode() == 422);
        TavoAuthException denied = assertThrows(TavoAuthException.class,
                () -> SERVER.client("tavo_not_a_real_key").build().scanManagement().listScans());
        assertEquals(401, denied.statusCode());
        assertThrows(IllegalArgumentException.class, () -> client.scanManagement().createScan(Map.of("branch", "main")));
        assertThrows(IllegalArgumentException.class, () -> client.scanManagement().getScan(""));
    }

}
