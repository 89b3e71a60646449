package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** The status of one scan, or NOT_FOUND ({@code error} is the scan's own error text when found, an object with code and message when not). */
public record BulkStatusItem(@Required String id, boolean success, String status, boolean finished, Integer totalFindings, Object error,
        String updatedAt) {}
