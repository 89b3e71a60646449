package io.tavo.sdk.models;

import java.util.List;

/** One page of the organisation's users. */
public record UserList(long total, int offset, int limit, int page, int pageSize, boolean hasMore, List<User> items)
        implements Page<User> {}
