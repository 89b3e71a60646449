package io.tavo.sdk.resources;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.tavo.sdk.Defaults;
import io.tavo.sdk.TavoResponseException;
import io.tavo.sdk.internal.ApiClient;
import io.tavo.sdk.internal.ApiRequest;
import io.tavo.sdk.internal.Json;
import io.tavo.sdk.models.BulkActionResult;
import io.tavo.sdk.models.BulkScanResult;
import io.tavo.sdk.models.BulkStatusResult;

/**
 * {@code client.scanBulkOperations()}: create many scans, or read many statuses, in few requests.
 * The server takes at most 100 scans (500 status ids) per request; longer lists are split and sent
 * concurrently, and the answers joined so that {@code results().get(i)} is still about the i-th item.
 * Each part carries its own idempotency key (derived from the caller's), so a retried part never
 * creates its scans twice.
 */
public final class ScanBulkOperations extends Resource {
    public ScanBulkOperations(ApiClient api) {
        super(api);
    }

    /** Creates many scans: CreateScanParams or maps; each item succeeds or fails on its own. */
    public BulkScanResult createBulkScans(List<?> scans) { return await(() -> createBulkScansAsync(scans, null)); }
    public BulkScanResult createBulkScans(List<?> scans, String idempotencyKey) { return await(() -> createBulkScansAsync(scans, idempotencyKey)); }
    /** The seed's form {@code {"scans": [...]}}. */
    public BulkScanResult createBulkScans(Map<String, ?> body) { return await(() -> createBulkScansAsync(body)); }

    public CompletableFuture<BulkScanResult> createBulkScansAsync(List<?> scans) { return createBulkScansAsync(scans, null); }

    public CompletableFuture<BulkScanResult> createBulkScansAsync(Map<String, ?> body) {
        Object scans = body == null ? null : body.get("scans");
        return createBulkScansAsync(scans instanceof List<?> list ? list : List.of(), null);
    }

    public CompletableFuture<BulkScanResult> createBulkScansAsync(List<?> scans, String idempotencyKey) {
        List<Object> items = new ArrayList<>();
        for (Object item : scans == null ? List.of() : scans) {
            items.add(item instanceof Params<?> params ? params.toMap() : item);
        }
        List<List<Object>> parts = parts(items, Defaults.MAX_BULK_SCANS);
        String base = idempotencyKey != null ? idempotencyKey : UUID.randomUUID().toString().replace("-", "");
        List<CompletableFuture<JsonNode>> answers = new ArrayList<>();
        for (int number = 0; number < parts.size(); number++) {
            ApiRequest request = ApiRequest.post(ApiRequest.path("scans", "bulk"), Map.of("scans", parts.get(number)))
                    .withIdempotencyKey(parts.size() == 1 ? base : base + "-" + number)
                    .withScope(ApiRequest.SCAN_CREATION);
            answers.add(send(request, parts.size()));
        }
        return all(answers).thenApply(ScanBulkOperations::joinedCreations);
    }

    /** The statuses of many scans; unknown ids come back as NOT_FOUND items. */
    public BulkStatusResult getBulkStatus(List<String> scanIds) { return await(() -> getBulkStatusAsync(scanIds)); }

    public CompletableFuture<BulkStatusResult> getBulkStatusAsync(List<String> scanIds) {
        List<CompletableFuture<JsonNode>> answers = new ArrayList<>();
        List<List<String>> parts = parts(scanIds == null ? List.of() : scanIds, Defaults.MAX_BULK_STATUS_IDS);
        for (List<String> part : parts) {
            answers.add(send(ApiRequest.post(ApiRequest.path("scans", "bulk", "status"), Map.of("scan_ids", part)),
                    parts.size()));
        }
        return all(answers).thenApply(ScanBulkOperations::joinedStatuses);
    }

    /** Cancels many scans; {@code results().get(i)} says what became of {@code scanIds.get(i)}. */
    public BulkActionResult bulkCancelScans(List<String> scanIds) { return await(() -> bulkCancelScansAsync(scanIds)); }

    public CompletableFuture<BulkActionResult> bulkCancelScansAsync(List<String> scanIds) {
        return action("cancel", scanIds);
    }

    /** Deletes many scans with their findings (running ones fail with SCAN_RUNNING). */
    public BulkActionResult bulkDeleteScans(List<String> scanIds) { return await(() -> bulkDeleteScansAsync(scanIds)); }

    public CompletableFuture<BulkActionResult> bulkDeleteScansAsync(List<String> scanIds) {
        return action("delete", scanIds);
    }

    private CompletableFuture<BulkActionResult> action(String action, List<String> scanIds) {
        List<CompletableFuture<JsonNode>> answers = new ArrayList<>();
        List<List<String>> parts = parts(scanIds == null ? List.of() : scanIds, Defaults.MAX_BULK_STATUS_IDS);
        for (List<String> part : parts) {
            answers.add(send(ApiRequest.post(ApiRequest.path("scans", "bulk", action), Map.of("scan_ids", part)),
                    parts.size()));
        }
        return all(answers).thenApply(ScanBulkOperations::joinedActions);
    }

    private static BulkActionResult joinedActions(List<JsonNode> answers) {
        ArrayNode joined = Json.MAPPER.createArrayNode();
        int succeeded = 0;
        for (JsonNode answer : answers) {
            int offset = joined.size();
            for (JsonNode item : results(answer)) {
                ObjectNode copy = item.deepCopy();
                copy.put("index", item.path("index").asInt() + offset);
                succeeded += item.path("success").asBoolean() ? 1 : 0;
                joined.add(copy);
            }
        }
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.set("results", joined);
        body.put("total", joined.size()).put("succeeded", succeeded).put("failed", joined.size() - succeeded);
        return ApiClient.decode(200, Json.write(body), BulkActionResult.class);
    }

    /** One part of a bulk call; parts of a split call go side by side, even from a blocking method. */
    private CompletableFuture<JsonNode> send(ApiRequest request, int parts) {
        return parts == 1 ? api.request(request, JsonNode.class)
                : ApiClient.concurrently(() -> api.request(request, JsonNode.class));
    }

    private static <T> List<List<T>> parts(List<T> items, int size) {
        List<List<T>> parts = new ArrayList<>();
        for (int start = 0; start < items.size(); start += size) {
            parts.add(List.copyOf(items.subList(start, Math.min(items.size(), start + size))));
        }
        if (parts.isEmpty()) {
            parts.add(List.of());
        }
        return parts;
    }

    private static CompletableFuture<List<JsonNode>> all(List<CompletableFuture<JsonNode>> futures) {
        return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                .thenApply(done -> futures.stream().map(CompletableFuture::join).toList());
    }

    private static ArrayNode results(JsonNode answer) {
        JsonNode results = answer == null ? null : answer.get("results");
        if (results == null || !results.isArray()) {
            throw new TavoResponseException("unexpected response shape for a bulk answer: no results list", 200, null);
        }
        return (ArrayNode) results;
    }

    private static BulkScanResult joinedCreations(List<JsonNode> answers) {
        ArrayNode joined = Json.MAPPER.createArrayNode();
        int created = 0;
        for (JsonNode answer : answers) {
            int offset = joined.size();
            for (JsonNode item : results(answer)) {
                ObjectNode copy = item.deepCopy();
                copy.put("index", item.path("index").asInt() + offset);
                created += item.path("success").asBoolean() ? 1 : 0;
                joined.add(copy);
            }
        }
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.set("results", joined);
        body.put("total", joined.size()).put("created", created).put("failed", joined.size() - created);
        return ApiClient.decode(200, Json.write(body), BulkScanResult.class);
    }

    private static BulkStatusResult joinedStatuses(List<JsonNode> answers) {
        ArrayNode joined = Json.MAPPER.createArrayNode();
        int found = 0;
        for (JsonNode answer : answers) {
            for (JsonNode item : results(answer)) {
                found += item.path("success").asBoolean() ? 1 : 0;
                joined.add(item);
            }
        }
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.set("results", joined);
        body.put("total", joined.size()).put("found", found).put("not_found", joined.size() - found);
        return ApiClient.decode(200, Json.write(body), BulkStatusResult.class);
    }
}
