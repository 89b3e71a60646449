package io.tavo.sdk.resources;

import java.util.List;

/** Filters and paging of listScans: page/pageSize (pages count from 0) or offset/limit. */
public final class ListScansParams extends Params<ListScansParams> {
    public ListScansParams status(String value) { return set("status", value); }
    public ListScansParams page(Integer value) { return set("page", value); }
    public ListScansParams pageSize(Integer value) { return set("page_size", value); }
    public ListScansParams offset(Integer value) { return set("offset", value); }
    public ListScansParams limit(Integer value) { return set("limit", value); }
}
