package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** An analysis: per finding risk, verdict and remediation (paginated on the server; analyzeScan returns all of them), and for the scan the fix-first list, the security score, duplicate clusters and OWASP LLM coverage. */
public record AnalysisResult(long total, int offset, int limit, int page, int pageSize, boolean hasMore, @Required String analysisId,
        @Required String scanId, String model, String status, Map<String, Object> summary, SecurityScore securityScore,
        List<FixFirstItem> fixFirst, List<Map<String, Object>> owaspLlmCoverage, List<Map<String, Object>> clusters,
        List<AnalyzedFinding> findings) implements Page<AnalyzedFinding> {
    /** The findings of this page (the same as {@link #findings()}). */
    @Override
    public List<AnalyzedFinding> items() {
        return findings;
    }
}
