package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** A rule's metadata. */
public record Rule(@Required String id, String title, String message, String severity, String confidence, String category,
        List<String> cwe, String owaspLlm, List<String> languages, String pack, List<String> references, String fix,
        String autofix, String matcher, boolean custom) {}
