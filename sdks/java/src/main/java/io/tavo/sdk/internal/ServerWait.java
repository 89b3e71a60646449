package io.tavo.sdk.internal;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;

/** How long the server asked the client to wait, read from a response's headers. */
public final class ServerWait {
    private ServerWait() {}

    /**
     * Retry-After (seconds or an HTTP date), else X-RateLimit-Retry-After, else the time until
     * X-RateLimit-Reset; null when the server did not say. Header names are lower case.
     */
    public static Duration of(Map<String, String> headers) {
        for (String name : new String[] {"retry-after", "x-ratelimit-retry-after"}) {
            String value = headers.get(name);
            if (value != null) {
                Duration seconds = seconds(value.strip());
                if (seconds != null) {
                    return seconds;
                }
            }
        }
        String reset = headers.get("x-ratelimit-reset");
        if (reset != null && !reset.isBlank() && reset.strip().chars().allMatch(Character::isDigit)) {
            long millis = Long.parseLong(reset.strip()) * 1000 - System.currentTimeMillis();
            return Duration.ofMillis(Math.max(0, millis));
        }
        return null;
    }

    private static Duration seconds(String value) {
        try {
            double seconds = Double.parseDouble(value);
            if (Double.isNaN(seconds) || Double.isInfinite(seconds)) {
                return null;
            }
            return Duration.ofNanos((long) (Math.max(0.0, seconds) * 1e9));
        } catch (NumberFormatException notANumber) {
            try {
                ZonedDateTime moment = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
                long millis = moment.toInstant().toEpochMilli() - System.currentTimeMillis();
                return Duration.ofMillis(Math.max(0, millis));
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
    }
}
