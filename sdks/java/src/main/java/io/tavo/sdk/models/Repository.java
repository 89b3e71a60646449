package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** A repository the organisation scans, with its last scan and finding trend; {@code credentials} says which kind is set (never the secret). */
public record Repository(@Required String id, @Required String url, String name, String defaultBranch, String createdAt,
        Scan lastScan, List<TrendPoint> trend, boolean hooksEnabled, Map<String, Object> openFindings,
        Map<String, Object> credentials) {}
