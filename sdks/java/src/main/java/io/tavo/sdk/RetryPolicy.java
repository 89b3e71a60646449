package io.tavo.sdk;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

import io.tavo.sdk.internal.ServerWait;

/**
 * Which failures are retried and how long to wait before the next attempt. {@code maxRetries} more
 * attempts after the first, for connection errors, timeouts and the statuses in
 * {@code retryStatuses}. Waits are drawn uniformly from [0, min(maxDelay, initialDelay * 2^retry)]
 * ("full jitter"), unless the server said how long to wait (Retry-After, X-RateLimit-Retry-After,
 * X-RateLimit-Reset), which is honoured up to {@code maxServerWait}. Immutable.
 */
public final class RetryPolicy {
    private final int maxRetries;
    private final Duration initialDelay;
    private final Duration maxDelay;
    private final Duration maxServerWait;
    private final Set<Integer> retryStatuses;
    private final DoubleSupplier jitter;

    private RetryPolicy(Builder builder) {
        this.maxRetries = builder.maxRetries;
        this.initialDelay = builder.initialDelay;
        this.maxDelay = builder.maxDelay;
        this.maxServerWait = builder.maxServerWait;
        this.retryStatuses = Set.copyOf(builder.retryStatuses);
        this.jitter = builder.jitter;
    }

    public static RetryPolicy defaults() { return builder().build(); }

    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        return new Builder().maxRetries(maxRetries).initialDelay(initialDelay).maxDelay(maxDelay)
                .maxServerWait(maxServerWait).retryStatuses(retryStatuses).jitter(jitter);
    }

    public int maxRetries() { return maxRetries; }
    public Duration initialDelay() { return initialDelay; }
    public Duration maxDelay() { return maxDelay; }
    public Duration maxServerWait() { return maxServerWait; }
    public Set<Integer> retryStatuses() { return retryStatuses; }

    /** Another attempt is allowed: budget left, and the request may be sent again. */
    public boolean canRetry(int retriesDone, boolean replaySafe) {
        return replaySafe && retriesDone < maxRetries;
    }

    /** The jittered wait before retry number {@code retriesDone + 1}. */
    public Duration backoff(int retriesDone) {
        double ceiling = Math.min(maxDelay.toNanos(), initialDelay.toNanos() * Math.pow(2.0, retriesDone));
        return Duration.ofNanos((long) (ceiling * jitter.getAsDouble()));
    }

    /**
     * The wait before retrying a response with this status, or null when it is not retried (not a
     * retried status, or the server asks for a longer wait than {@code maxServerWait}).
     * {@code headers} have lower-case names.
     */
    public Duration delayForStatus(int retriesDone, int statusCode, Map<String, String> headers) {
        if (!retryStatuses.contains(statusCode)) {
            return null;
        }
        Duration asked = ServerWait.of(headers);
        if (asked == null) {
            return backoff(retriesDone);
        }
        return asked.compareTo(maxServerWait) > 0 ? null : asked;
    }

    @Override
    public String toString() {
        return "RetryPolicy[maxRetries=" + maxRetries + ", initialDelay=" + initialDelay + ", maxDelay="
                + maxDelay + ", maxServerWait=" + maxServerWait + ", retryStatuses=" + retryStatuses + "]";
    }

    public static final class Builder {
        private int maxRetries = Defaults.MAX_RETRIES;
        private Duration initialDelay = Defaults.INITIAL_RETRY_DELAY;
        private Duration maxDelay = Defaults.MAX_RETRY_DELAY;
        private Duration maxServerWait = Defaults.MAX_RATE_LIMIT_WAIT;
        private Set<Integer> retryStatuses = Defaults.RETRY_STATUSES;
        private DoubleSupplier jitter = () -> ThreadLocalRandom.current().nextDouble();

        public Builder maxRetries(int value) {
            if (value < 0) {
                throw new IllegalArgumentException("maxRetries must not be negative (got " + value + ")");
            }
            maxRetries = value;
            return this;
        }

        public Builder initialDelay(Duration value) {
            initialDelay = nonNegative("initialDelay", value);
            return this;
        }

        public Builder maxDelay(Duration value) {
            maxDelay = nonNegative("maxDelay", value);
            return this;
        }

        public Builder maxServerWait(Duration value) {
            maxServerWait = nonNegative("maxServerWait", value);
            return this;
        }

        public Builder retryStatuses(Set<Integer> value) {
            if (value == null) {
                throw new IllegalArgumentException("retryStatuses must not be null");
            }
            retryStatuses = Set.copyOf(value);
            return this;
        }

        /** The source of jitter: numbers in [0, 1) (replaceable for tests). */
        public Builder jitter(DoubleSupplier value) {
            jitter = Objects.requireNonNull(value, "jitter");
            return this;
        }

        public RetryPolicy build() { return new RetryPolicy(this); }

        static Duration nonNegative(String option, Duration value) {
            if (value == null || value.isNegative()) {
                throw new IllegalArgumentException(option + " must be a non-negative duration (got " + value + ")");
            }
            return value;
        }
    }
}
