package io.tavo.sdk.resources;

import java.util.List;

/** Options of an analysis: how long the fix-first list is; for LLM models a token budget and how many findings may be sent. */
public final class AnalysisOptions extends Params<AnalysisOptions> {
    public AnalysisOptions fixFirstLimit(Integer value) { return set("fix_first_limit", value); }
    public AnalysisOptions tokenBudget(Integer value) { return set("token_budget", value); }
    public AnalysisOptions maxLlmFindings(Integer value) { return set("max_llm_findings", value); }
}
