package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** The organisation's custom rule files. */
public record CustomRuleFileList(List<CustomRuleFile> items, long total) {}
