package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** A finding's history, oldest first. */
public record FindingHistory(long total, int offset, int limit, int page, int pageSize, boolean hasMore, @Required String findingId,
        List<FindingEvent> items) implements Page<FindingEvent> {}
