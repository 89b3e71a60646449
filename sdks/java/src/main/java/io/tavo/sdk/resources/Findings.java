package io.tavo.sdk.resources;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.tavo.sdk.Defaults;
import io.tavo.sdk.Pager;
import io.tavo.sdk.internal.ApiClient;
import io.tavo.sdk.internal.ApiRequest;
import io.tavo.sdk.models.FindingHistory;
import io.tavo.sdk.models.FindingList;
import io.tavo.sdk.models.TrackedFinding;

/**
 * {@code client.findings()}: findings across scans: list (filters; page, offset or cursor), get,
 * triage, history.
 */
public final class Findings extends Resource {
    public Findings(ApiClient api) {
        super(api);
    }

    /** One page of the organisation's findings, newest first. */
    public FindingList listFindings() { return await(() -> listFindingsAsync(Map.of())); }
    public FindingList listFindings(ListFindingsParams params) { return await(() -> listFindingsAsync(params)); }
    public FindingList listFindings(Map<String, ?> params) { return await(() -> listFindingsAsync(params)); }

    public CompletableFuture<FindingList> listFindingsAsync() { return listFindingsAsync(Map.of()); }
    public CompletableFuture<FindingList> listFindingsAsync(ListFindingsParams params) { return listFindingsAsync(map(params)); }

    public CompletableFuture<FindingList> listFindingsAsync(Map<String, ?> params) {
        return api.request(ApiRequest.get(ApiRequest.path("findings")).withQuery(copy(params)), FindingList.class);
    }

    /** Every finding, a keyset page at a time (stable however deep it goes). */
    public Pager<FindingList, TrackedFinding> iterFindings() { return iterFindings(null, Defaults.PAGE_SIZE); }

    /** Every finding matching {@code filters} (their paging is replaced by the cursor's). */
    public Pager<FindingList, TrackedFinding> iterFindings(ListFindingsParams filters, int pageSize) {
        Map<String, Object> base = map(filters);
        return Pager.byCursor(cursor -> {
            Map<String, Object> query = new LinkedHashMap<>(base);
            query.keySet().removeAll(java.util.List.of("page", "page_size", "offset"));
            query.put("cursor", cursor);
            query.put("limit", pageSize);
            return listFindingsAsync(query);
        }, FindingList::nextCursor, pageSize);
    }

    /** One tracked finding (never from the cache: its triage changes). */
    public TrackedFinding getFinding(String findingId) { return await(() -> getFindingAsync(findingId)); }

    public CompletableFuture<TrackedFinding> getFindingAsync(String findingId) {
        return api.request(ApiRequest.get(ApiRequest.path("findings", findingId)).uncached(), TrackedFinding.class);
    }

    /**
     * Sets a triage state ({@code false_positive}, {@code accepted_risk}, {@code wont_fix}), or clears it
     * with {@code open}; kept across rescans and recorded in the history.
     */
    public TrackedFinding triageFinding(String findingId, String status) { return await(() -> triageFindingAsync(findingId, status, null)); }

    public TrackedFinding triageFinding(String findingId, String status, String comment) {
        return await(() -> triageFindingAsync(findingId, status, comment));
    }

    public CompletableFuture<TrackedFinding> triageFindingAsync(String findingId, String status) {
        return triageFindingAsync(findingId, status, null);
    }

    public CompletableFuture<TrackedFinding> triageFindingAsync(String findingId, String status, String comment) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", required("status", status));
        if (comment != null) {
            body.put("comment", comment);
        }
        ApiRequest request = new ApiRequest("PATCH", ApiRequest.path("findings", findingId), Map.of(), body, null, null,
                null, null, false, null);
        return api.request(request, TrackedFinding.class);
    }

    /** A finding's history, oldest first. */
    public FindingHistory getFindingHistory(String findingId) { return await(() -> getFindingHistoryAsync(findingId, null, null)); }

    public FindingHistory getFindingHistory(String findingId, Integer offset, Integer limit) {
        return await(() -> getFindingHistoryAsync(findingId, offset, limit));
    }

    public CompletableFuture<FindingHistory> getFindingHistoryAsync(String findingId) {
        return getFindingHistoryAsync(findingId, null, null);
    }

    public CompletableFuture<FindingHistory> getFindingHistoryAsync(String findingId, Integer offset, Integer limit) {
        Map<String, Object> query = new LinkedHashMap<>();
        query.put("offset", offset);
        query.put("limit", limit);
        return api.request(ApiRequest.get(ApiRequest.path("findings", findingId, "history")).withQuery(query),
                FindingHistory.class);
    }
}
