package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** A finding with its risk, triage verdict and reasons, cluster and remediation. */
public record AnalyzedFinding(@Required String findingId, String ruleId, String fingerprint, String title, String severity,
        String confidence, String category, String owaspLlm, String path, int startLine, RiskScore risk, String verdict,
        List<String> reasons, Map<String, Object> facts, String clusterId, Map<String, Object> remediation) {}
