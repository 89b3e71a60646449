package io.tavo.sdk.resources;

import java.util.List;

/** Filters of listRules; filters combine with AND, the values of one filter with OR. */
public final class ListRulesParams extends Params<ListRulesParams> {
    public ListRulesParams pack(String... values) { return setList("pack", values); }
    public ListRulesParams pack(List<String> values) { return set("pack", values == null ? null : List.copyOf(values)); }
    public ListRulesParams severity(String... values) { return setList("severity", values); }
    public ListRulesParams severity(List<String> values) { return set("severity", values == null ? null : List.copyOf(values)); }
    public ListRulesParams language(String... values) { return setList("language", values); }
    public ListRulesParams language(List<String> values) { return set("language", values == null ? null : List.copyOf(values)); }
    public ListRulesParams owaspLlm(String... values) { return setList("owasp_llm", values); }
    public ListRulesParams owaspLlm(List<String> values) { return set("owasp_llm", values == null ? null : List.copyOf(values)); }
    public ListRulesParams category(String... values) { return setList("category", values); }
    public ListRulesParams category(List<String> values) { return set("category", values == null ? null : List.copyOf(values)); }
}
