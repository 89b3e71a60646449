package io.tavo.sdk.models;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Finding severities, from most to least severe. */
public enum Severity {
    CRITICAL, HIGH, MEDIUM, LOW, INFO;

    /** 0 for CRITICAL up to 4 for INFO: lower is more severe. */
    public int rank() {
        return ordinal();
    }

    public boolean atLeast(Severity threshold) {
        return rank() <= threshold.rank();
    }

    /** A severity from its name in any case; IllegalArgumentException naming the choices otherwise. */
    public static Severity parse(String value) {
        String name = value == null ? "" : value.strip().toUpperCase(Locale.ROOT);
        for (Severity severity : values()) {
            if (severity.name().equals(name)) {
                return severity;
            }
        }
        String choices = Arrays.stream(values()).map(s -> s.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", "));
        throw new IllegalArgumentException("unknown severity '" + value + "' (choose from " + choices + ")");
    }
}
