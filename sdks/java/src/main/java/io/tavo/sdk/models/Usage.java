package io.tavo.sdk.models;

import java.util.Map;

import io.tavo.sdk.internal.Required;

/** What a key used; {@code organization} is set when asked for (admin keys): by_day (requests, scans) and by_key. */
public record Usage(int days, @Required KeyUsage key, Map<String, Object> organization) {}
