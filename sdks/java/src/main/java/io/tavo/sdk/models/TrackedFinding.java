package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** A finding with a life across scans: identified by its fingerprint within a repository (or upload project), with its status (open, fixed, reopened, or a triage state) and where it was first and last seen. {@code id} is the tracked finding's id. */
public record TrackedFinding(@Required String id, @Required String ruleId, String title, String message, String severity,
        String confidence, String category, List<String> cwe, String owaspLlm, String pack, String path, int startLine,
        int startColumn, int endLine, int endColumn, String snippet, String fingerprint, String fix,
        List<String> references, String autofix, FindingContext context, List<TraceStep> trace, List<String> tags,
        List<String> relatedRules, String repositoryId, String project,
        String status, String detectionStatus, FindingTriage triage, String firstSeenScanId, String lastSeenScanId,
        String fixedScanId, String firstSeenAt, String lastSeenAt, String updatedAt) {}
