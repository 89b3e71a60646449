package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** An organisation's own rule file (content only when one file is fetched; replaced and rules only in the answer to an upload). */
public record CustomRuleFile(@Required String id, String name, List<String> ruleIds, long size, String createdAt, String content,
        Boolean replaced, List<Rule> rules) {}
