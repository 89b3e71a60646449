package io.tavo.sdk.resources;

import java.util.List;

/**
 * Filters and paging of listFindings: page/pageSize, offset/limit, or cursor ("" for the first page
 * of a keyset listing, then each page's nextCursor). Status, severity, rule, category and owaspLlm
 * take several values.
 */
public final class ListFindingsParams extends Params<ListFindingsParams> {
    public ListFindingsParams repository(String value) { return set("repository", value); }
    public ListFindingsParams project(String value) { return set("project", value); }
    public ListFindingsParams status(String... values) { return setList("status", values); }
    public ListFindingsParams status(List<String> values) { return set("status", values == null ? null : List.copyOf(values)); }
    public ListFindingsParams severity(String... values) { return setList("severity", values); }
    public ListFindingsParams rule(String... values) { return setList("rule", values); }
    public ListFindingsParams category(String... values) { return setList("category", values); }
    public ListFindingsParams owaspLlm(String... values) { return setList("owasp_llm", values); }
    public ListFindingsParams path(String value) { return set("path", value); }
    public ListFindingsParams firstSeenAfter(String value) { return set("first_seen_after", value); }
    public ListFindingsParams page(Integer value) { return set("page", value); }
    public ListFindingsParams pageSize(Integer value) { return set("page_size", value); }
    public ListFindingsParams offset(Integer value) { return set("offset", value); }
    public ListFindingsParams limit(Integer value) { return set("limit", value); }
    public ListFindingsParams cursor(String value) { return set("cursor", value); }
}
