package io.tavo.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import io.tavo.sdk.internal.ConnectionLimiter;
import io.tavo.sdk.models.ScanList;

/**
 * withMaxConnections really bounds the connections: counted by a TCP relay between the client and
 * the real server, for bursts of async calls and for many threads making blocking calls. The same
 * burst with a larger bound opens more connections, so the count is what the bound holds down.
 */
class ConnectionLimitTest {
    private static final TestServer SERVER = TestServer.get();
    private static final int BURST = 120;

    private static int port(String url) {
        return Integer.parseInt(url.substring(url.lastIndexOf(':') + 1));
    }

    private static TavoClient through(CountingProxy proxy, String key, int maxConnections) {
        return TavoSdk.createClientBuilder(key).withBaseUrl(proxy.url()).withMaxConnections(maxConnections)
                .withHttpVersion(HttpClient.Version.HTTP_1_1).build();
    }

    private static void burst(TavoClient client) {
        List<CompletableFuture<ScanList>> calls = new ArrayList<>();
        for (int i = 0; i < BURST; i++) {
            calls.add(client.scanManagement().listScansAsync());
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
        calls.forEach(call -> assertEquals(0, call.join().total()));
    }

    @Test
    void asyncBurstStaysWithinTheBound() throws Exception {
        String key = SERVER.unlimitedKey();
        try (CountingProxy proxy = new CountingProxy(port(SERVER.baseUrl))) {
            TavoClient client = through(proxy, key, 4);
            client.scanManagement().listScans(); // learns the key's budget: the burst is not held back by it
            burst(client);
            assertTrue(proxy.peak() <= 4, "open connections peaked at " + proxy.peak());
            assertEquals(4, client.peakConnectionsInUse());
            assertEquals(0, client.connectionsInUse());
        }
        try (CountingProxy proxy = new CountingProxy(port(SERVER.baseUrl))) {
            TavoClient client = through(proxy, key, 64);
            client.scanManagement().listScans();
            burst(client);
            assertTrue(proxy.peak() > 4, "a bound of 64 opened only " + proxy.peak() + " connections");
        }
    }

    @Test
    void blockingCallsFromManyThreadsStayWithinTheBound() throws Exception {
        String key = SERVER.unlimitedKey();
        ExecutorService threads = Executors.newFixedThreadPool(16);
        try (CountingProxy proxy = new CountingProxy(port(SERVER.baseUrl))) {
            // HTTP/2 offered as an h2c upgrade, declined: HTTP/1.1 spoken by this plain-http server.
            TavoClient client = TavoSdk.createClientBuilder(key).withBaseUrl(proxy.url()).withMaxConnections(2)
                    .withHttpVersion(HttpClient.Version.HTTP_2).build();
            client.repositories().listRepositories();
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                done.add(threads.submit(() -> {
                    for (int call = 0; call < 5; call++) {
                        client.repositories().listRepositories();
                    }
                }));
            }
            for (Future<?> future : done) {
                future.get();
            }
            assertTrue(proxy.peak() <= 2, "open connections peaked at " + proxy.peak());
            assertEquals(2, client.peakConnectionsInUse());
        } finally {
            threads.shutdown();
        }
    }

    @Test
    void aRequestWaitsForAFreeConnectionUpToThePoolTimeout() {
        ConnectionLimiter limiter = new ConnectionLimiter(1, Duration.ofMillis(150));
        limiter.acquire().join();
        CompletableFuture<Void> second = limiter.acquire();
        CompletableFuture<Void> third = limiter.acquire();
        limiter.release(); // handed to the second, first come first served
        second.join();
        Throwable error = assertThrows(Exception.class, third::join);
        assertInstanceOf(TavoTimeoutException.class, error.getCause());
        assertTrue(error.getCause().getMessage().contains("maxConnections=1"));
        limiter.release();
        assertEquals(0, limiter.inUse());
    }
}
