package io.tavo.sdk.internal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import io.tavo.sdk.TavoTimeoutException;

/**
 * Bounds the requests on the wire at once, and so the connections open (the JDK's HttpClient has no
 * such knob: over HTTP/1.1 it opens a connection for each concurrent request). A non-blocking
 * semaphore: a caller over the bound gets a future completed when a permit is handed over to it
 * (first come, first served), or a TavoTimeoutException after the pool timeout.
 */
public final class ConnectionLimiter {
    /**
     * Ends the waits that last too long: one daemon thread for every client, the timeout of a wait
     * that got its permit dropped at once (CompletableFuture's delayed executor would run each
     * timeout, due or not, on its default executor: a new thread each where the common pool has one).
     */
    private static final ScheduledThreadPoolExecutor TIMEOUTS = new ScheduledThreadPoolExecutor(1, task -> {
        Thread thread = new Thread(task, "tavo-sdk-pool-timeouts");
        thread.setDaemon(true);
        return thread;
    });

    static {
        TIMEOUTS.setRemoveOnCancelPolicy(true);
    }

    private final int max;
    private final Duration poolTimeout;
    private final ArrayDeque<CompletableFuture<Void>> waiters = new ArrayDeque<>();
    private int inUse;
    private int peak;

    public ConnectionLimiter(int max, Duration poolTimeout) {
        this.max = max;
        this.poolTimeout = poolTimeout;
    }

    public CompletableFuture<Void> acquire() {
        CompletableFuture<Void> waiter;
        synchronized (this) {
            if (inUse < max) {
                inUse++;
                peak = Math.max(peak, inUse);
                return CompletableFuture.completedFuture(null);
            }
            waiter = new CompletableFuture<>();
            waiters.add(waiter);
        }
        if (poolTimeout != null) {
            ScheduledFuture<?> timeout = TIMEOUTS.schedule(() -> waiter.completeExceptionally(new TavoTimeoutException(
                    "no free connection within " + poolTimeout.toMillis() / 1000.0 + "s (maxConnections=" + max + ")")),
                    poolTimeout.toNanos(), TimeUnit.NANOSECONDS);
            waiter.whenComplete((ignored, error) -> timeout.cancel(false));
        }
        return waiter;
    }

    /** Hands the permit to the first waiter still waiting, or returns it. */
    public void release() {
        while (true) {
            CompletableFuture<Void> next;
            synchronized (this) {
                next = waiters.poll();
                if (next == null) {
                    inUse--;
                    return;
                }
            }
            if (next.complete(null)) {
                return;
            }
        }
    }

    public int max() { return max; }

    public synchronized int inUse() { return inUse; }

    /** The most requests that were on the wire at once. */
    public synchronized int peak() { return peak; }
}
