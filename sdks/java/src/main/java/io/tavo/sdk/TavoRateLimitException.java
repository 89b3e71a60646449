package io.tavo.sdk;

import java.time.Duration;
import java.util.Map;

/**
 * A rate limit is exhausted: the server answered 429, or the client knows every key's budget is
 * spent and waiting is off or would take too long. {@link #retryAfter()} is how long until it resets.
 * The message says "rate limit" in words: code that looks for it in the text finds it.
 */
public class TavoRateLimitException extends TavoApiException {
    private final Duration retryAfter;
    private final Integer limit;
    private final Integer remaining;
    private final Long reset;

    public TavoRateLimitException(String message, int statusCode, String code, Map<String, Object> details,
                                  String requestId, Map<String, String> headers, Duration retryAfter,
                                  Integer limit, Integer remaining, Long reset) {
        super(message, statusCode, code == null ? "RATE_LIMIT_EXCEEDED" : code, details, requestId, headers);
        this.retryAfter = retryAfter;
        this.limit = limit;
        this.remaining = remaining;
        this.reset = reset;
    }

    /** How long until the budget resets, or null when not known. */
    public Duration retryAfter() { return retryAfter; }
    public Integer limit() { return limit; }
    public Integer remaining() { return remaining; }
    /** Unix time of the reset, or null. */
    public Long reset() { return reset; }

    @Override
    public String getMessage() {
        String wait = retryAfter != null ? "; retry after " + retryAfter.toMillis() / 1000.0 + "s" : "";
        return "rate limit exceeded: " + super.getMessage() + wait;
    }
}
