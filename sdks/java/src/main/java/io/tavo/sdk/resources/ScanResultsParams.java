package io.tavo.sdk.resources;

import java.util.List;

/** Filters and paging of getScanResults (severity and rule take several values). */
public final class ScanResultsParams extends Params<ScanResultsParams> {
    public ScanResultsParams severity(String... values) { return setList("severity", values); }
    public ScanResultsParams severity(List<String> values) { return set("severity", values == null ? null : List.copyOf(values)); }
    public ScanResultsParams rule(String... values) { return setList("rule", values); }
    public ScanResultsParams rule(List<String> values) { return set("rule", values == null ? null : List.copyOf(values)); }
    public ScanResultsParams path(String value) { return set("path", value); }
    public ScanResultsParams page(Integer value) { return set("page", value); }
    public ScanResultsParams pageSize(Integer value) { return set("page_size", value); }
    public ScanResultsParams offset(Integer value) { return set("offset", value); }
    public ScanResultsParams limit(Integer value) { return set("limit", value); }
}
