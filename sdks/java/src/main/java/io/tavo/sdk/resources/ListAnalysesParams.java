package io.tavo.sdk.resources;

import java.util.List;

/** Filters and paging of listAnalyses. */
public final class ListAnalysesParams extends Params<ListAnalysesParams> {
    public ListAnalysesParams scanId(String value) { return set("scan_id", value); }
    public ListAnalysesParams page(Integer value) { return set("page", value); }
    public ListAnalysesParams pageSize(Integer value) { return set("page_size", value); }
    public ListAnalysesParams offset(Integer value) { return set("offset", value); }
    public ListAnalysesParams limit(Integer value) { return set("limit", value); }
}
