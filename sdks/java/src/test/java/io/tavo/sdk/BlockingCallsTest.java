package io.tavo.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.tavo.sdk.internal.ApiClient;
import io.tavo.sdk.internal.ConnectionLimiter;
import io.tavo.sdk.internal.Transport;
import io.tavo.sdk.models.BulkStatusResult;

/**
 * Blocking methods do their calls in the caller's thread (no executor hop, no thread started per
 * request), async methods do not block the caller, and a blocking bulk call split into parts still
 * sends its parts side by side.
 */
class BlockingCallsTest {
    private static final TestServer SERVER = TestServer.get();

    @Test
    void blockingCallsRunInTheCallersThreadAndAsyncOnesElsewhere() throws Exception {
        Set<Thread> answeredIn = ConcurrentHashMap.newKeySet();
        TavoClient client = SERVER.client(SERVER.unlimitedKey()).withResponseHook(response -> answeredIn.add(Thread.currentThread()))
                .build();
        client.scanManagement().listScans();
        client.repositories().listRepositories();
        assertEquals(Set.of(Thread.currentThread()), answeredIn);

        answeredIn.clear();
        client.scanManagement().listScansAsync().get();
        assertEquals(1, answeredIn.size());
        assertFalse(answeredIn.contains(Thread.currentThread()), "an async call was answered in the caller's thread");
    }

    @Test
    void asyncCallsStartNoThreadPerRequest() {
        // Each response is seen in the thread that completed its call: where the JDK's sendAsync
        // started a thread per completion, 200 calls meant about 200 threads.
        Set<Thread> answeredIn = ConcurrentHashMap.newKeySet();
        TavoClient client = SERVER.client(SERVER.unlimitedKey()).withMaxConnections(8)
                .withResponseHook(response -> answeredIn.add(Thread.currentThread())).build();
        client.scanManagement().listScans();
        answeredIn.clear();
        List<CompletableFuture<?>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            calls.add(client.scanManagement().listScansAsync());
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
        assertTrue(answeredIn.size() <= 40, "200 async calls were answered in " + answeredIn.size() + " threads");
    }

    @Test
    void bothAsyncWaysWorkWithinTheBound() {
        // The JDK's sendAsync (machines with a real common pool) and the SDK's own threads.
        for (boolean ownThreads : new boolean[] {false, true}) {
            TavoClient client = SERVER.client(SERVER.unlimitedKey()).withMaxConnections(4)
                    .withAsyncOnOwnThreads(ownThreads).build();
            client.scanManagement().listScans();
            List<CompletableFuture<io.tavo.sdk.models.ScanList>> calls = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                calls.add(client.scanManagement().listScansAsync());
            }
            calls.forEach(call -> assertEquals(0, call.join().total()));
            assertTrue(client.peakConnectionsInUse() <= 4, "peak " + client.peakConnectionsInUse());
            assertEquals(0, client.connectionsInUse());
            assertThrows(TavoNotFoundException.class,
                    () -> ApiClient.await(client.scanManagement().getScanAsync("scan_" + "0".repeat(32))));
        }
    }

    @Test
    void aBlockingBulkCallSendsItsPartsSideBySide() {
        Set<Thread> answeredIn = ConcurrentHashMap.newKeySet();
        TavoClient client = SERVER.client(SERVER.unlimitedKey()).withResponseHook(response -> answeredIn.add(Thread.currentThread()))
                .build();
        client.scanManagement().listScans(); // the key's budget is known: the parts are not held back for it
        answeredIn.clear();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3 * io.tavo.sdk.Defaults.MAX_BULK_STATUS_IDS / 2; i++) {
            ids.add(String.format("scan_%032x", i));
        }
        BulkStatusResult result = client.scanBulkOperations().getBulkStatus(ids);
        assertEquals(ids.size(), result.total());
        assertEquals(0, result.found());
        assertFalse(answeredIn.contains(Thread.currentThread()), "the parts were sent one after the other");
    }

    @Test
    void anInterruptedWaitForAConnectionGivesNoPermitAway() throws Exception {
        ConnectionLimiter limiter = new ConnectionLimiter(1, Duration.ofSeconds(30));
        Transport transport = new Transport(HttpClient.newHttpClient(), limiter);
        limiter.acquire().join(); // the only connection is in use
        Request request = new Request("GET", SERVER.baseUrl + "/health", Map.of(), null, Duration.ofSeconds(5));
        AtomicReference<CompletableFuture<Response>> outcome = new AtomicReference<>();
        AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            outcome.set(transport.send(request, true));
            stillInterrupted.set(Thread.currentThread().isInterrupted());
        });
        caller.start();
        while (caller.getState() != Thread.State.WAITING && caller.isAlive()) {
            Thread.sleep(5);
        }
        caller.interrupt();
        caller.join(10_000);
        assertTrue(outcome.get().isCompletedExceptionally());
        Throwable error = assertThrowsFrom(outcome.get());
        assertInstanceOf(TavoException.class, error);
        assertTrue(stillInterrupted.get(), "the caller's interrupt flag was cleared");
        limiter.release();
        assertEquals(0, limiter.inUse(), "the permit went to the interrupted caller");

        // With the connection free, the same blocking send goes through and gives its permit back.
        Response health = transport.send(request, true).join();
        assertEquals(200, health.statusCode());
        assertEquals(0, limiter.inUse());
    }

    private static Throwable assertThrowsFrom(CompletableFuture<Response> future) {
        try {
            future.join();
        } catch (java.util.concurrent.CompletionException failed) {
            return failed.getCause();
        }
        throw new AssertionError("the send did not fail");
    }
}
