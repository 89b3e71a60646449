package io.tavo.sdk.models;

import java.util.List;

/** {@code results().get(i)} is about the i-th id asked for. */
public record BulkActionResult(List<BulkActionItem> results, int total, int succeeded, int failed) {}
