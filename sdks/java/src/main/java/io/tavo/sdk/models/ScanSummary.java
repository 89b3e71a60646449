package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** Counts of a finished scan; {@code triaged}: findings triaged away (left out of the counts), {"total", "by_status"}. */
public record ScanSummary(long total, Map<String, Integer> bySeverity, Map<String, Integer> byCategory,
        Map<String, Integer> byOwaspLlm, int filesScanned, int filesSkipped, Map<String, Integer> skippedByReason,
        int rulesRun, double durationSeconds, Map<String, Object> triaged) {}
