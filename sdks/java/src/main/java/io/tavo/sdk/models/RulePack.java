package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** A pack of rules and what it covers. */
public record RulePack(@Required String name, boolean custom, int rules, List<String> languages, Map<String, Integer> severities,
        List<String> categories, List<String> owaspLlm) {}
