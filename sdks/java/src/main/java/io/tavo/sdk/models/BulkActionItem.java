package io.tavo.sdk.models;

import io.tavo.sdk.internal.Required;

/**
 * What became of the scan {@code id} (the index-th asked for) in a bulk cancel or delete;
 * {@code cancelled} is false for a scan that had finished already.
 */
public record BulkActionItem(int index, @Required String id, boolean success, Boolean cancelled, Scan scan, ErrorInfo error) {}
