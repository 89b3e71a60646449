package io.tavo.sdk;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * After {@code failureThreshold} consecutive failures (connection errors, timeouts, 5xx) requests
 * fail fast with {@link CircuitOpenException} for {@code recoveryTimeout}; then one probe request is
 * let through ("half-open"): its success closes the circuit, its failure opens it again.
 * Thread-safe; give one to a client with {@code withCircuitBreaker(...)}.
 */
public final class CircuitBreaker {
    public enum State { CLOSED, OPEN, HALF_OPEN }

    private final int failureThreshold;
    private final Duration recoveryTimeout;
    private final LongSupplier nanoClock;
    private State state = State.CLOSED;
    private int failureCount;
    private long openedAt;
    private boolean probeInFlight;

    public CircuitBreaker() {
        this(Defaults.CIRCUIT_FAILURE_THRESHOLD, Defaults.CIRCUIT_RECOVERY_TIMEOUT);
    }

    public CircuitBreaker(int failureThreshold, Duration recoveryTimeout) {
        this(failureThreshold, recoveryTimeout, System::nanoTime);
    }

    /** With a clock of its own (nanoseconds), for tests. */
    public CircuitBreaker(int failureThreshold, Duration recoveryTimeout, LongSupplier nanoClock) {
        if (failureThreshold < 1) {
            throw new IllegalArgumentException("failureThreshold must be at least 1 (got " + failureThreshold + ")");
        }
        if (recoveryTimeout == null || recoveryTimeout.isNegative()) {
            throw new IllegalArgumentException("recoveryTimeout must be a non-negative duration");
        }
        this.failureThreshold = failureThreshold;
        this.recoveryTimeout = recoveryTimeout;
        this.nanoClock = nanoClock;
    }

    public int failureThreshold() { return failureThreshold; }
    public Duration recoveryTimeout() { return recoveryTimeout; }

    public synchronized int failureCount() { return failureCount; }

    public synchronized State state() {
        if (state == State.OPEN && recoveryLeft() <= 0) {
            return State.HALF_OPEN;
        }
        return state;
    }

    private long recoveryLeft() {
        return openedAt + recoveryTimeout.toNanos() - nanoClock.getAsLong();
    }

    /** Throws CircuitOpenException when a request must not be sent now. */
    public synchronized void beforeRequest() {
        if (state == State.CLOSED) {
            return;
        }
        if (state == State.OPEN) {
            long left = recoveryLeft();
            if (left > 0) {
                throw new CircuitOpenException(String.format(
                        "circuit breaker is open after %d consecutive failures; next probe in %.1fs",
                        failureCount, left / 1e9), Duration.ofNanos(left));
            }
            state = State.HALF_OPEN;
        }
        if (probeInFlight) {
            throw new CircuitOpenException("circuit breaker is half-open and its probe request is in flight",
                    Duration.ZERO);
        }
        probeInFlight = true;
    }

    public synchronized void recordSuccess() {
        state = State.CLOSED;
        failureCount = 0;
        probeInFlight = false;
    }

    public synchronized void recordFailure() {
        failureCount++;
        probeInFlight = false;
        if (state == State.HALF_OPEN || failureCount >= failureThreshold) {
            state = State.OPEN;
            openedAt = nanoClock.getAsLong();
        }
    }

    /** Closes the circuit and forgets the failures. */
    public void reset() { recordSuccess(); }
}
