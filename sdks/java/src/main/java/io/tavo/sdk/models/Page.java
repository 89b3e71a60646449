package io.tavo.sdk.models;

import java.util.List;

/**
 * Where a page sits in the whole list. Both styles are given: offset/limit and page/pageSize
 * (pages count from 0). {@link #items()} are the page's entries.
 */
public interface Page<T> {
    long total();
    int offset();
    int limit();
    int page();
    int pageSize();
    boolean hasMore();
    List<T> items();
}
