package io.tavo.sdk;

/**
 * Base of every error the SDK throws (unchecked, so it travels through CompletableFutures).
 *
 * <pre>
 * TavoException
 *  ├── TavoApiException               the server answered with an error envelope
 *  │    ├── TavoAuthException         401, 403
 *  │    ├── TavoNotFoundException     404
 *  │    ├── TavoConflictException     409
 *  │    ├── TavoValidationException   400, 413, 422
 *  │    ├── TavoRateLimitException    429, or every key's budget is spent and waiting is off/too long
 *  │    └── TavoServerException       5xx
 *  ├── TavoConnectionException        the server could not be reached
 *  ├── TavoTimeoutException           connecting, waiting for a connection, or reading took too long
 *  ├── TavoResponseException          a response that is not the JSON the API promises
 *  └── CircuitOpenException           the circuit breaker refuses requests for now
 * </pre>
 */
public class TavoException extends RuntimeException {
    public TavoException(String message) {
        super(message);
    }

    public TavoException(String message, Throwable cause) {
        super(message, cause);
    }
}
