package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** An analysis job: like a scan, it is queued, runs and finishes. */
public record Analysis(@Required String id, @Required String scanId, String model, Map<String, Object> options, String status,
        boolean finished, String error, Map<String, Object> summary, String createdAt, String startedAt,
        String finishedAt, int attempts, Map<String, String> links) {}
