package io.tavo.sdk.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.tavo.sdk.Defaults;
import io.tavo.sdk.KeyBudget;
import io.tavo.sdk.TavoRateLimitException;

/**
 * Client-side rate-limit awareness: each API key's remaining budget, read from the X-RateLimit-* and
 * RateLimit headers of every response, so a burst waits for a reset (or goes to another key)
 * instead of turning into a storm of 429s.
 *
 * <p>Accounting: {@code remaining} is the lowest count the server reported in the current window,
 * and requests sent since then are subtracted from it. A key with no estimated budget left is
 * skipped; when every key is out, the caller waits until the earliest reset or raises at once.
 * Limits on one kind of request (scan creations) are learned from a 429 naming a window the general
 * responses never did; they hold back that kind alone. Thread-safe.
 */
public final class KeyPool {
    private static final Pattern IETF_ITEM = Pattern.compile("\\s*\"?([^\";,]*)\"?((?:;[^,]*)?)");
    private static final Pattern IETF_RESET = Pattern.compile(";\\s*t=(\\d+(?:\\.\\d+)?)");

    /** One key's mutable state, guarded by the pool's lock. */
    private static final class Budget {
        final String key;
        Integer remaining;
        Integer limit;
        String window;
        Long resetEpoch;
        Long resetAt; // on the pool's clock (nanoseconds)
        int inFlight;
        // A response has been seen: until then one request at a time finds out the budget, so a
        // first burst cannot overrun a key that is nearly spent.
        boolean probed;
        // Request kind ("" for every request) -> clock time until which it is refused.
        final Map<String, Long> blockedUntil = new HashMap<>();

        Budget(String key) { this.key = key; }

        double estimate(long now) {
            if (remaining == null) {
                return probed || inFlight == 0 ? Double.POSITIVE_INFINITY : 0.0;
            }
            if (resetAt != null && now >= resetAt) {
                return Double.POSITIVE_INFINITY;
            }
            return remaining - inFlight;
        }

        long blockedFor(String scope, long now) {
            long wait = blockedUntil.getOrDefault("", 0L) - now;
            if (scope != null) {
                wait = Math.max(wait, blockedUntil.getOrDefault(scope, 0L) - now);
            }
            return Math.max(0, wait);
        }

        long waitForBudget(long now) {
            long recheck = Defaults.IN_FLIGHT_RECHECK.toNanos();
            if (inFlight > 0 || resetAt == null) {
                return recheck;
            }
            return Math.max(resetAt - now, recheck);
        }

        String hint() { return key.substring(0, Math.min(10, key.length() / 3)) + "..."; }
    }

    /** A key to send with, or the wait until one has budget. */
    public record Lease(String key, Duration delay) {}

    private final List<Budget> budgets = new ArrayList<>();
    private final Map<String, Budget> byKey = new HashMap<>();
    private final Set<String> generalWindows = new HashSet<>();
    private final LongSupplier clock;
    private int next;

    public KeyPool(List<String> keys) { this(keys, System::nanoTime); }

    public KeyPool(List<String> keys, LongSupplier nanoClock) {
        for (String key : new LinkedHashSet<>(keys)) {
            Budget budget = new Budget(key);
            budgets.add(budget);
            byKey.put(key, budget);
        }
        if (budgets.isEmpty()) {
            throw new IllegalArgumentException("apiKey: at least one API key is needed");
        }
        this.clock = nanoClock;
    }

    public int size() { return budgets.size(); }

    /** A key to send with now (counted in flight until {@link #release}), or how long to wait. */
    public synchronized Lease acquire(String scope) {
        Choice choice = choose(scope);
        if (choice.best == null) {
            return new Lease(null, Duration.ofNanos(choice.waitNanos));
        }
        choice.best.inFlight++;
        next = (choice.index + 1) % budgets.size();
        return new Lease(choice.best.key, Duration.ZERO);
    }

    /** Time until some key may send (zero: one may now), without taking it. */
    public synchronized Duration availableIn(String scope) {
        return Duration.ofNanos(choose(scope).waitNanos);
    }

    private record Choice(Budget best, int index, long waitNanos) {}

    /** The key with the most estimated budget (ties go round-robin), or the shortest wait. */
    private Choice choose(String scope) {
        long now = clock.getAsLong();
        int count = budgets.size();
        Budget best = null;
        int bestIndex = 0;
        double bestEstimate = 0;
        long shortest = Long.MAX_VALUE;
        for (int offset = 0; offset < count; offset++) {
            int index = (next + offset) % count;
            Budget budget = budgets.get(index);
            long blocked = budget.blockedFor(scope, now);
            if (blocked > 0) {
                shortest = Math.min(shortest, blocked);
                continue;
            }
            double estimate = budget.estimate(now);
            if (estimate <= 0) {
                shortest = Math.min(shortest, budget.waitForBudget(now));
            } else if (best == null || estimate > bestEstimate) {
                best = budget;
                bestIndex = index;
                bestEstimate = estimate;
            }
        }
        return new Choice(best, bestIndex, best != null ? 0 : shortest);
    }

    /** What one response says of its key's budget, read before taking the pool's lock. */
    private record Reading(Integer remaining, Integer limit, String window, Double secondsLeft, Long resetEpoch,
                           Duration serverWait) {
        static Reading of(int statusCode, Map<String, String> headers) {
            Integer remaining = parseInt(headers.get("x-ratelimit-remaining"));
            String[] ietf = ietfState(headers.get("ratelimit"));
            Long resetEpoch = parseLong(headers.get("x-ratelimit-reset"));
            Double secondsLeft = ietf[1] == null ? null : Double.valueOf(ietf[1]);
            if (secondsLeft == null && resetEpoch != null && remaining != null) {
                secondsLeft = Math.max(0.0, resetEpoch - System.currentTimeMillis() / 1000.0);
            }
            return new Reading(remaining, parseInt(headers.get("x-ratelimit-limit")), ietf[0], secondsLeft, resetEpoch,
                    statusCode == 429 ? ServerWait.of(headers) : null);
        }
    }

    /** A request sent with {@code key} is over; its response (if any) updates the budget. */
    public void release(String key, Integer statusCode, Map<String, String> headers, String scope) {
        Reading reading = headers != null && statusCode != null ? Reading.of(statusCode, headers) : null;
        synchronized (this) {
            Budget budget = byKey.get(key);
            budget.inFlight = Math.max(0, budget.inFlight - 1);
            if (reading != null) {
                budget.probed = true;
                observe(budget, statusCode, reading, scope);
            }
        }
    }

    private void observe(Budget budget, int statusCode, Reading reading, String scope) {
        long now = clock.getAsLong();
        Integer remaining = reading.remaining();
        String window = reading.window();
        if (statusCode == 429) {
            Duration wait = reading.serverWait();
            boolean specific = scope != null && window != null && !generalWindows.contains(window);
            if (specific || remaining == null) {
                String kind = specific ? scope : "";
                budget.blockedUntil.put(kind, now + (wait != null ? wait.toNanos() : 1_000_000_000L));
                return;
            }
        } else if (window != null) {
            generalWindows.add(window);
        }
        if (remaining == null) {
            return;
        }
        Long resetEpoch = reading.resetEpoch();
        Double secondsLeft = reading.secondsLeft();
        boolean sameWindow = java.util.Objects.equals(budget.window, window)
                && java.util.Objects.equals(budget.resetEpoch, resetEpoch)
                && !(budget.resetAt != null && now >= budget.resetAt);
        if (sameWindow && budget.remaining != null) {
            // Responses overtake each other; within a window the count only goes down.
            budget.remaining = Math.min(budget.remaining, remaining);
        } else {
            budget.remaining = remaining;
        }
        budget.limit = reading.limit();
        budget.window = window;
        budget.resetEpoch = resetEpoch;
        budget.resetAt = secondsLeft != null ? now + (long) (secondsLeft * 1e9) : null;
    }

    /** The error raised instead of waiting (waiting is off, or too long). */
    public synchronized TavoRateLimitException exhaustedError(String scope, Duration wait) {
        Integer limit = null;
        Long reset = null;
        for (Budget budget : budgets) {
            if (budget.limit != null && (limit == null || budget.limit < limit)) {
                limit = budget.limit;
            }
            if (budget.resetEpoch != null && (reset == null || budget.resetEpoch < reset)) {
                reset = budget.resetEpoch;
            }
        }
        String which = budgets.size() == 1 ? "the API key's" : "all " + budgets.size() + " API keys'";
        String kind = scope != null ? " for " + scope : "";
        long seconds = (long) Math.ceil(wait.toMillis() / 1000.0);
        return new TavoRateLimitException(which + " rate limit" + kind + " is exhausted; it resets in " + seconds + "s",
                429, "RATE_LIMIT_EXCEEDED", Map.of(), null, Map.of(), wait, limit, 0, reset);
    }

    /** A snapshot of what is known of each key's budget. */
    public synchronized List<KeyBudget> snapshot() {
        List<KeyBudget> result = new ArrayList<>();
        for (Budget b : budgets) {
            result.add(new KeyBudget(b.hint(), b.remaining, b.limit, b.window, b.resetEpoch, b.inFlight));
        }
        return List.copyOf(result);
    }

    private static Integer parseInt(String value) {
        Long parsed = parseLong(value);
        return parsed == null || parsed > Integer.MAX_VALUE || parsed < Integer.MIN_VALUE ? null : parsed.intValue();
    }

    private static Long parseLong(String value) {
        if (value == null) {
            return null;
        }
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException error) {
            return null;
        }
    }

    /** The window name and seconds to reset of {@code RateLimit: "hour";r=999;t=3599} (first item binds). */
    static String[] ietfState(String value) {
        if (value == null || value.isEmpty()) {
            return new String[2];
        }
        Matcher item = IETF_ITEM.matcher(value);
        if (!item.lookingAt()) {
            return new String[2];
        }
        Matcher reset = IETF_RESET.matcher(item.group(2));
        String name = item.group(1).isEmpty() ? null : item.group(1);
        return new String[] {name, reset.find() ? reset.group(1) : null};
    }
}
