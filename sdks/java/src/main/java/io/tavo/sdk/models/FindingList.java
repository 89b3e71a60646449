package io.tavo.sdk.models;

import java.util.List;
import java.util.Map;

import io.tavo.sdk.internal.Required;

/** One page of findings. {@code nextCursor} continues a keyset (cursor) listing; {@code next} is the path of the next page in that style. */
public record FindingList(long total, int offset, int limit, int page, int pageSize, boolean hasMore, List<TrackedFinding> items,
        String nextCursor, String next) implements Page<TrackedFinding> {}
