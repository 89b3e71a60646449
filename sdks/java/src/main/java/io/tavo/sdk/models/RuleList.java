package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** The rules (after filters) and the packs they come from. */
public record RuleList(List<Rule> items, long total, List<RulePack> packs) {}
