package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** {@code results().get(i)} is the status of the i-th id asked for. */
public record BulkStatusResult(List<BulkStatusItem> results, int total, int found, int notFound) {}
