package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** A risk score 0-100 and the factors it is made of. */
public record RiskScore(int score, List<Map<String, Object>> factors) {}
