package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** A scan's status: small and cheap to ask for. */
public record ScanStatus(@Required String id, @Required String status, boolean finished, Integer totalFindings, String error,
        String updatedAt) {
    /** The statuses a scan ends in. */
    public static final java.util.Set<String> FINISHED = java.util.Set.of("completed", "failed", "cancelled");
}
