package io.tavo.sdk.resources;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

import io.tavo.sdk.Defaults;
import io.tavo.sdk.Pager;
import io.tavo.sdk.TavoResponseException;
import io.tavo.sdk.TavoTimeoutException;
import io.tavo.sdk.internal.DirectoryPacker;
import io.tavo.sdk.internal.Json;
import com.fasterxml.jackson.databind.JsonNode;
import io.tavo.sdk.internal.ApiClient;
import io.tavo.sdk.internal.ApiRequest;
import io.tavo.sdk.models.Scan;
import io.tavo.sdk.models.ScanDiff;
import io.tavo.sdk.models.ScanList;
import io.tavo.sdk.models.ScanResults;
import io.tavo.sdk.models.ScanStatus;
import io.tavo.sdk.models.Vulnerability;

/**
 * {@code client.scanManagement()}: scans: create, list, get, status, results, cancel, delete, upload,
 * and waiting for the end of a scan (following the server's event stream, else polling with
 * backoff). Every method blocks; its {@code ...Async} twin returns a CompletableFuture.
 */
public final class ScanManagement extends Resource {
    static final String ARCHIVE_TYPE = "application/octet-stream";

    public ScanManagement(ApiClient api) {
        super(api);
    }

    // --- list ----------------------------------------------------------------------------------

    /** One page of the organisation's scans, newest first (default paging of the server). */
    public ScanList listScans() { return await(() -> listScansAsync()); }
    public ScanList listScans(ListScansParams params) { return await(() -> listScansAsync(params)); }
    /** The seed's dict style: {@code Map.of("page", 0, "page_size", 100, "status", "completed")}. */
    public ScanList listScans(Map<String, ?> params) { return await(() -> listScansAsync(params)); }

    public CompletableFuture<ScanList> listScansAsync() { return listScansAsync(Map.of()); }
    public CompletableFuture<ScanList> listScansAsync(ListScansParams params) { return listScansAsync(map(params)); }

    public CompletableFuture<ScanList> listScansAsync(Map<String, ?> params) {
        return api.request(ApiRequest.get(ApiRequest.path("scans")).withQuery(copy(params)), ScanList.class);
    }

    /** Every scan, fetched a page at a time as iteration goes. */
    public Pager<ScanList, Scan> iterScans() { return iterScans(null, Defaults.PAGE_SIZE); }
    public Pager<ScanList, Scan> iterScans(String status) { return iterScans(status, Defaults.PAGE_SIZE); }

    public Pager<ScanList, Scan> iterScans(String status, int pageSize) {
        return new Pager<>((offset, limit) -> listScansAsync(new ListScansParams().status(status).offset(offset).limit(limit)),
                pageSize, 0, Scan::id);
    }

    // --- create --------------------------------------------------------------------------------

    /** Queues a scan of a repository. Safe to retry: one idempotency key covers every attempt. */
    public Scan createScan(String repositoryUrl) { return await(() -> createScanAsync(repositoryUrl)); }
    public Scan createScan(CreateScanParams params) { return await(() -> createScanAsync(params, null)); }
    /** The same {@code idempotencyKey} never creates a second scan. */
    public Scan createScan(CreateScanParams params, String idempotencyKey) { return await(() -> createScanAsync(params, idempotencyKey)); }
    public Scan createScan(Map<String, ?> params) { return await(() -> createScanAsync(params, null)); }
    public Scan createScan(Map<String, ?> params, String idempotencyKey) { return await(() -> createScanAsync(params, idempotencyKey)); }

    public CompletableFuture<Scan> createScanAsync(String repositoryUrl) {
        return createScanAsync(new CreateScanParams().repositoryUrl(repositoryUrl), null);
    }

    public CompletableFuture<Scan> createScanAsync(CreateScanParams params) { return createScanAsync(map(params), null); }

    public CompletableFuture<Scan> createScanAsync(CreateScanParams params, String idempotencyKey) {
        return createScanAsync(map(params), idempotencyKey);
    }

    public CompletableFuture<Scan> createScanAsync(Map<String, ?> params) { return createScanAsync(params, null); }

    public CompletableFuture<Scan> createScanAsync(Map<String, ?> params, String idempotencyKey) {
        if (params == null || params.get("repository_url") == null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("createScan needs a repository_url"));
        }
        ApiRequest request = ApiRequest.post(ApiRequest.path("scans"), copy(params))
                .withIdempotencyKey(idempotencyKey).withScope(ApiRequest.SCAN_CREATION);
        return api.request(request, Scan.class);
    }

    /** Uploads a .tar.gz/.tgz/.tar/.zip of code and scans it (scan type security). */
    public Scan uploadScan(byte[] archive) { return await(() -> uploadScanAsync(archive, null, null)); }
    /** An archive file, or a directory (packed as what git would track: its .gitignore files are honoured). */
    public Scan uploadScan(Path archive) { return await(() -> uploadScanAsync(archiveBytes(archive), null, null)); }
    public Scan uploadScan(byte[] archive, UploadScanParams params, String idempotencyKey) {
        return await(() -> uploadScanAsync(archive, params, idempotencyKey));
    }
    public Scan uploadScan(Path archive, UploadScanParams params, String idempotencyKey) {
        return await(() -> uploadScanAsync(archiveBytes(archive), params, idempotencyKey));
    }

    public CompletableFuture<Scan> uploadScanAsync(byte[] archive) { return uploadScanAsync(archive, null, null); }
    public CompletableFuture<Scan> uploadScanAsync(Path archive) { return uploadScanAsync(archiveBytes(archive), null, null); }

    public CompletableFuture<Scan> uploadScanAsync(Path archive, UploadScanParams params, String idempotencyKey) {
        return uploadScanAsync(archiveBytes(archive), params, idempotencyKey);
    }

    private static byte[] archiveBytes(Path archive) {
        return java.nio.file.Files.isDirectory(archive) ? DirectoryPacker.pack(archive) : read(archive);
    }

    public CompletableFuture<Scan> uploadScanAsync(byte[] archive, UploadScanParams params, String idempotencyKey) {
        if (archive == null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("archive must not be null"));
        }
        Map<String, Object> query = new java.util.LinkedHashMap<>(Map.of("scan_type", "security"));
        query.putAll(map(params));
        ApiRequest request = ApiRequest.post(ApiRequest.path("uploads", "scans"), null).withQuery(query)
                .withBody(archive, ARCHIVE_TYPE).withIdempotencyKey(idempotencyKey).withScope(ApiRequest.SCAN_CREATION);
        return api.request(request, Scan.class);
    }

    // --- read ----------------------------------------------------------------------------------

    /** A scan with its summary (once finished). */
    public Scan getScan(String scanId) { return await(() -> getScanAsync(scanId)); }

    public CompletableFuture<Scan> getScanAsync(String scanId) {
        return api.request(ApiRequest.get(ApiRequest.path("scans", scanId)), Scan.class);
    }

    /** A scan's status: small and cheap, for polling. */
    public ScanStatus getScanStatus(String scanId) { return await(() -> getScanStatusAsync(scanId)); }

    public CompletableFuture<ScanStatus> getScanStatusAsync(String scanId) {
        return api.request(ApiRequest.get(ApiRequest.path("scans", scanId, "status")), ScanStatus.class);
    }

    /** One page of a scan's findings. Results of a finished scan are cached (they no longer change). */
    public ScanResults getScanResults(String scanId) { return await(() -> getScanResultsAsync(scanId, Map.of())); }
    public ScanResults getScanResults(String scanId, ScanResultsParams params) { return await(() -> getScanResultsAsync(scanId, params)); }
    public ScanResults getScanResults(String scanId, Map<String, ?> params) { return await(() -> getScanResultsAsync(scanId, params)); }

    public CompletableFuture<ScanResults> getScanResultsAsync(String scanId) { return getScanResultsAsync(scanId, Map.of()); }

    public CompletableFuture<ScanResults> getScanResultsAsync(String scanId, ScanResultsParams params) {
        return getScanResultsAsync(scanId, map(params));
    }

    public CompletableFuture<ScanResults> getScanResultsAsync(String scanId, Map<String, ?> params) {
        ApiRequest request = ApiRequest.get(ApiRequest.path("scans", scanId, "results")).withQuery(copy(params));
        return api.request(request, ScanResults.class);
    }

    /** Every finding of a scan, fetched a page at a time as iteration goes. */
    public Pager<ScanResults, Vulnerability> iterResults(String scanId) { return iterResults(scanId, null, Defaults.PAGE_SIZE); }

    /** Every finding matching {@code filters} (severity, rule, path; its paging is replaced). */
    public Pager<ScanResults, Vulnerability> iterResults(String scanId, ScanResultsParams filters, int pageSize) {
        Map<String, Object> base = map(filters);
        return new Pager<>((offset, limit) -> {
            Map<String, Object> query = new java.util.LinkedHashMap<>(base);
            query.remove("page");
            query.remove("page_size");
            query.put("offset", offset);
            query.put("limit", limit);
            return getScanResultsAsync(scanId, query);
        }, pageSize, 0, Vulnerability::id);
    }

    // --- exports ------------------------------------------------------------------------------

    /** Findings new in this scan, fixed since the {@code base} scan, and unchanged (completed scans of one repository). */
    public ScanDiff getScanDiff(String scanId, String base) { return await(() -> getScanDiffAsync(scanId, base)); }

    public CompletableFuture<ScanDiff> getScanDiffAsync(String scanId, String base) {
        ApiRequest request = ApiRequest.get(ApiRequest.path("scans", scanId, "diff")).withQuery(Map.of("base", required("base", base)));
        return api.request(request, ScanDiff.class);
    }

    /** A completed scan's findings as a SARIF 2.1.0 log (GitHub code scanning), as plain JSON values. */
    public Map<String, Object> getScanSarif(String scanId) { return await(() -> getScanSarifAsync(scanId)); }

    @SuppressWarnings("unchecked")
    public CompletableFuture<Map<String, Object>> getScanSarifAsync(String scanId) {
        return api.request(ApiRequest.get(ApiRequest.path("scans", scanId, "results.sarif")), JsonNode.class)
                .thenApply(log -> {
                    if (log == null || !log.isObject()) {
                        throw new TavoResponseException("a SARIF log should be a JSON object", 200, null);
                    }
                    return (Map<String, Object>) Json.plain(log);
                });
    }

    // --- change --------------------------------------------------------------------------------

    /** Cancels a queued or running scan. */
    public Scan cancelScan(String scanId) { return await(() -> cancelScanAsync(scanId)); }

    public CompletableFuture<Scan> cancelScanAsync(String scanId) {
        return api.request(ApiRequest.post(ApiRequest.path("scans", scanId, "cancel"), null), Scan.class);
    }

    /** Deletes a scan and its findings (cancel a running scan first). */
    public void deleteScan(String scanId) { await(() -> deleteScanAsync(scanId)); }

    public CompletableFuture<Void> deleteScanAsync(String scanId) {
        return api.request(ApiRequest.delete(ApiRequest.path("scans", scanId)), Void.class);
    }

    // --- wait ----------------------------------------------------------------------------------

    /** Waits (up to 10 minutes) until the scan is completed, failed or cancelled; its final status. */
    public ScanStatus waitForScan(String scanId) { return await(() -> waitForScanAsync(scanId, Defaults.SCAN_WAIT_TIMEOUT)); }

    /**
     * Waits until the scan is completed, failed or cancelled and returns its final status. Follows
     * the server's event stream (no polling); if the stream is not available or breaks, polls the
     * status with backoff. TavoTimeoutException after {@code timeout}.
     */
    public ScanStatus waitForScan(String scanId, Duration timeout) { return await(() -> waitForScanAsync(scanId, timeout)); }

    public CompletableFuture<ScanStatus> waitForScanAsync(String scanId) {
        return waitForScanAsync(scanId, Defaults.SCAN_WAIT_TIMEOUT);
    }

    public CompletableFuture<ScanStatus> waitForScanAsync(String scanId, Duration timeout) {
        if (timeout == null || timeout.isNegative()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("timeout must be a non-negative duration"));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        ScanEvents events = new ScanEvents(api, scanId);
        CompletableFuture<ScanStatus> waiting = events.follow()
                .thenCompose(last -> last != null ? CompletableFuture.completedFuture(last)
                        : poll(scanId, deadline, Defaults.POLL_INITIAL_INTERVAL, timeout));
        return waiting.orTimeout(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)
                .whenComplete((status, error) -> events.close())
                .exceptionallyCompose(error -> {
                    Throwable root = error;
                    while (root instanceof java.util.concurrent.CompletionException && root.getCause() != null) {
                        root = root.getCause();
                    }
                    RuntimeException cause = ApiClient.unwrap(error);
                    if (root instanceof TimeoutException) {
                        return CompletableFuture.failedFuture(timedOut(scanId, timeout));
                    }
                    return CompletableFuture.failedFuture(cause);
                });
    }

    private CompletableFuture<ScanStatus> poll(String scanId, long deadline, Duration interval, Duration timeout) {
        return getScanStatusAsync(scanId).thenCompose(status -> {
            if (status.finished()) {
                return CompletableFuture.completedFuture(status);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return CompletableFuture.failedFuture(timedOut(scanId, timeout));
            }
            Duration next = Duration.ofNanos(Math.min((long) (interval.toNanos() * Defaults.POLL_BACKOFF),
                    Defaults.POLL_MAX_INTERVAL.toNanos()));
            return api.after(Duration.ofNanos(Math.min(interval.toNanos(), left)))
                    .thenCompose(ignored -> poll(scanId, deadline, next, timeout));
        });
    }

    private static TavoTimeoutException timedOut(String scanId, Duration timeout) {
        return new TavoTimeoutException("scan " + scanId + " did not finish within " + timeout.toMillis() / 1000.0 + "s");
    }

    static List<String> finishedStatuses() {
        return List.copyOf(ScanStatus.FINISHED);
    }
}
