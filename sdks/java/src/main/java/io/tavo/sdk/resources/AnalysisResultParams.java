package io.tavo.sdk.resources;

import java.util.List;

/** Filters and paging of getAnalysisResult. */
public final class AnalysisResultParams extends Params<AnalysisResultParams> {
    public AnalysisResultParams verdict(String... values) { return setList("verdict", values); }
    public AnalysisResultParams verdict(List<String> values) { return set("verdict", values == null ? null : List.copyOf(values)); }
    public AnalysisResultParams minRisk(Integer value) { return set("min_risk", value); }
    public AnalysisResultParams page(Integer value) { return set("page", value); }
    public AnalysisResultParams pageSize(Integer value) { return set("page_size", value); }
    public AnalysisResultParams offset(Integer value) { return set("offset", value); }
    public AnalysisResultParams limit(Integer value) { return set("limit", value); }
}
