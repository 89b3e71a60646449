package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** One entry of the fix-first list, highest priority first. */
public record FixFirstItem(int rank, @Required String findingId, int risk, String verdict, String severity, String path, int startLine,
        String clusterId, int covers) {}
