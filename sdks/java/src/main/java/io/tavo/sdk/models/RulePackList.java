package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** Every rule pack. */
public record RulePackList(List<RulePack> items, long total) {}
