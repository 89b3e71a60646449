package io.tavo.examples;

import java.util.concurrent.CompletableFuture;

import io.tavo.sdk.TavoClient;
import io.tavo.sdk.TavoSdk;
import io.tavo.sdk.models.AiModelList;
import io.tavo.sdk.models.RepositoryList;
import io.tavo.sdk.models.ScanList;

/**
 * "Reuse client instances": one client, three requests at once (the guide's asyncio.gather), then
 * the cached catalogue: the second listRules is answered from the HTTP cache.
 */
public final class ConcurrentRequests {
    public static void main(String[] args) {
        try (TavoClient client = TavoSdk.createClient()) {
            CompletableFuture<ScanList> scans = client.scanManagement().listScansAsync();
            CompletableFuture<RepositoryList> repositories = client.repositories().listRepositoriesAsync();
            CompletableFuture<AiModelList> models = client.aiAnalysis().getModelsAsync();
            CompletableFuture.allOf(scans, repositories, models).join();
            System.out.println("scans=" + scans.join().total() + " repositories=" + repositories.join().total()
                    + " models=" + models.join().items().size());

            int rules = client.scanRules().listRules().items().size();
            int again = client.scanRules().listRules().items().size();
            System.out.println("rules=" + rules + " again=" + again + " cache_hits=" + client.metrics().cacheHits());
        }
    }
}
