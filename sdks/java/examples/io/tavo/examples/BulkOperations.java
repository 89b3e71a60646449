package io.tavo.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.tavo.sdk.TavoClient;
import io.tavo.sdk.TavoSdk;
import io.tavo.sdk.models.BulkScanItem;
import io.tavo.sdk.models.BulkScanResult;
import io.tavo.sdk.models.ScanStatus;

/**
 * "Use bulk endpoints" and "batch multiple operations": one bulk request creates a scan per
 * repository URL given as an argument; their statuses are then read in one batch of concurrent calls
 * and in one bulk status request.
 */
public final class BulkOperations {
    public static void main(String[] args) {
        try (TavoClient client = TavoSdk.createClient()) {
            List<Map<String, Object>> scans = new ArrayList<>();
            for (String url : args) {
                scans.add(Map.of("repository_url", url, "scan_type", "security"));
            }
            BulkScanResult bulk = client.scanBulkOperations().createBulkScans(Map.of("scans", scans));
            List<String> ids = bulk.results().stream().filter(BulkScanItem::success).map(BulkScanItem::scanId).toList();
            System.out.println("created=" + bulk.created() + " failed=" + bulk.failed());

            List<CompletableFuture<ScanStatus>> statuses = ids.stream()
                    .map(id -> client.scanManagement().getScanStatusAsync(id)).toList();
            CompletableFuture.allOf(statuses.toArray(CompletableFuture[]::new)).join();
            System.out.println("batched statuses=" + statuses.size());

            for (String id : ids) {
                client.scanManagement().waitForScan(id);
            }
            long completed = client.scanBulkOperations().getBulkStatus(ids).results().stream()
                    .filter(item -> "completed".equals(item.status())).count();
            System.out.println("completed=" + completed);
        }
    }
}
