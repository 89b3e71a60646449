package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/**
 * The scan's overall security score (100 is best) and what lowered it; {@code gradeBasis}: why the
 * grade is what it is (the cap that applied and the findings that set it), empty when not given.
 */
public record SecurityScore(int score, String grade, int openFindings, String method, List<Map<String, Object>> topDeductions,
        Map<String, Object> gradeBasis) {}
