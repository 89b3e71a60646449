package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** What became of {@code scans[index]}: a scan, or the error that stopped it. */
public record BulkScanItem(int index, boolean success, String scanId, Scan scan, ErrorInfo error) {}
