package io.tavo.sdk.models;

import java.util.List;

/** One page of a user's keys. */
public record UserKeyList(long total, int offset, int limit, int page, int pageSize, boolean hasMore, List<UserKey> items)
        implements Page<UserKey> {}
