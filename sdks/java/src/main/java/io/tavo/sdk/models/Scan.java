package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** A scan of a repository (or of uploaded code) and, once finished, its summary. */
public record Scan(@Required String id, @Required String status, String scanType, String source, String repositoryUrl,
        String repositoryId, String branch, List<String> rules, List<String> exclusions, String createdAt,
        String startedAt, String finishedAt, String error, ScanSummary summary, int attempts,
        boolean cancelRequested, String project, String ref, String baseRef,
        String commitSha) {
    /** Completed, failed or cancelled. */
    public boolean finished() {
        return ScanStatus.FINISHED.contains(status);
    }
}
