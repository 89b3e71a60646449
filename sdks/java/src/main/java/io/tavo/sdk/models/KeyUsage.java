package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** A key's tier, its rate-limit windows now, and its requests by day. */
public record KeyUsage(@Required String id, String tier, List<UsageWindow> windows, List<Map<String, Object>> byDay) {}
