package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** {@code results().get(i)} is about the i-th scan asked for. */
public record BulkScanResult(List<BulkScanItem> results, int total, int created, int failed) {}
