package io.tavo.sdk;

import java.time.Duration;

/**
 * The circuit breaker is open after repeated failures: requests fail fast until its recovery
 * timeout has passed and a probe request succeeds.
 */
public class CircuitOpenException extends TavoException {
    private final Duration retryAfter;

    public CircuitOpenException(String message, Duration retryAfter) {
        super(message);
        this.retryAfter = retryAfter;
    }

    /** Time until the breaker lets a probe request through. */
    public Duration retryAfter() { return retryAfter; }
}
