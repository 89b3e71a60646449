package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** The scan's overall security score (100 is best) and what lowered it. */
public record SecurityScore(int score, String grade, int openFindings, String method, List<Map<String, Object>> topDeductions) {}
