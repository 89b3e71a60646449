package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** A rule with its definition and its test examples. */
public record RuleDetail(@Required String id, String title, String message, String severity, String confidence, String category,
        List<String> cwe, String owaspLlm, List<String> languages, String pack, List<String> references, String fix,
        String autofix, String matcher, boolean custom, Map<String, Object> definition, Map<String, Object> examples) {}
