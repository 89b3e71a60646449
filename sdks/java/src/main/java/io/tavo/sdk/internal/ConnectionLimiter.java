package io.tavo.sdk.internal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.tavo.sdk.TavoTimeoutException;

/**
 * Bounds the requests on the wire at once, and so the connections open (the JDK's HttpClient has no
 * such knob: over HTTP/1.1 it opens a connection for each concurrent request). A non-blocking
 * semaphore: a caller over the bound gets a future completed when a permit is handed over to it
 * (first come, first served), or a TavoTimeoutException after the pool timeout.
 */
public final class ConnectionLimiter {
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
            CompletableFuture.delayedExecutor(poolTimeout.toNanos(), TimeUnit.NANOSECONDS).execute(() ->
                    waiter.completeExceptionally(new TavoTimeoutException(
                            "no free connection within " + poolTimeout.toMillis() / 1000.0 + "s (maxConnections=" + max + ")")));
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
