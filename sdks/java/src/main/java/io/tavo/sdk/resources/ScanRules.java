package io.tavo.sdk.resources;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.tavo.sdk.internal.ApiClient;
import io.tavo.sdk.internal.ApiRequest;
import io.tavo.sdk.models.CustomRuleFile;
import io.tavo.sdk.models.CustomRuleFileList;
import io.tavo.sdk.models.RuleDetail;
import io.tavo.sdk.models.RuleList;
import io.tavo.sdk.models.RulePackList;

/**
 * {@code client.scanRules()}: the rule catalogue (served from the HTTP cache while fresh, revalidated
 * with its ETag after), one rule with its examples, packs, and the organisation's custom rule files.
 */
public final class ScanRules extends Resource {
    public ScanRules(ApiClient api) {
        super(api);
    }

    /** Built-in and custom rules with their metadata. */
    public RuleList listRules() { return await(() -> listRulesAsync(Map.of())); }
    public RuleList listRules(ListRulesParams params) { return await(() -> listRulesAsync(params)); }
    public RuleList listRules(Map<String, ?> params) { return await(() -> listRulesAsync(params)); }

    public CompletableFuture<RuleList> listRulesAsync() { return listRulesAsync(Map.of()); }
    public CompletableFuture<RuleList> listRulesAsync(ListRulesParams params) { return listRulesAsync(map(params)); }

    public CompletableFuture<RuleList> listRulesAsync(Map<String, ?> params) {
        return api.request(ApiRequest.get(ApiRequest.path("rules")).withQuery(copy(params)), RuleList.class);
    }

    /** One rule with its definition and examples. */
    public RuleDetail getRule(String ruleId) { return await(() -> getRuleAsync(ruleId)); }

    public CompletableFuture<RuleDetail> getRuleAsync(String ruleId) {
        return api.request(ApiRequest.get(ApiRequest.path("rules", ruleId)), RuleDetail.class);
    }

    /** The rule packs. */
    public RulePackList listPacks() { return await(() -> listPacksAsync()); }

    public CompletableFuture<RulePackList> listPacksAsync() {
        return api.request(ApiRequest.get(ApiRequest.path("rules", "packs")), RulePackList.class);
    }

    /** Uploads (or replaces, by name) a rule file of the organisation's own; the server checks its examples. */
    public CustomRuleFile uploadCustomRules(String name, String content) { return await(() -> uploadCustomRulesAsync(name, content)); }

    public CompletableFuture<CustomRuleFile> uploadCustomRulesAsync(String name, String content) {
        Map<String, Object> body = Map.of("name", required("name", name), "content", required("content", content));
        return api.request(ApiRequest.post(ApiRequest.path("rules", "custom"), body), CustomRuleFile.class);
    }

    /** The organisation's custom rule files. */
    public CustomRuleFileList listCustomRuleFiles() { return await(() -> listCustomRuleFilesAsync()); }

    public CompletableFuture<CustomRuleFileList> listCustomRuleFilesAsync() {
        return api.request(ApiRequest.get(ApiRequest.path("rules", "custom")), CustomRuleFileList.class);
    }

    /** One custom rule file with its content. */
    public CustomRuleFile getCustomRuleFile(String fileId) { return await(() -> getCustomRuleFileAsync(fileId)); }

    public CompletableFuture<CustomRuleFile> getCustomRuleFileAsync(String fileId) {
        return api.request(ApiRequest.get(ApiRequest.path("rules", "custom", fileId)), CustomRuleFile.class);
    }

    /** Deletes a custom rule file. */
    public void deleteCustomRuleFile(String fileId) { await(() -> deleteCustomRuleFileAsync(fileId)); }

    public CompletableFuture<Void> deleteCustomRuleFileAsync(String fileId) {
        return api.request(ApiRequest.delete(ApiRequest.path("rules", "custom", fileId)), Void.class);
    }
}
