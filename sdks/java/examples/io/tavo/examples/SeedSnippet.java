package io.tavo.examples;

import java.time.Duration;

import io.tavo.sdk.TavoClient;
import io.tavo.sdk.TavoSdk;
import io.tavo.sdk.models.ScanList;

/**
 * The performance guide's Java snippet as written ("Configure HTTP client for high throughput"),
 * then one call. The key comes from TAVO_API_KEY and the server from TAVO_BASE_URL.
 */
public final class SeedSnippet {
    public static void main(String[] args) {
        String apiKey = System.getenv("TAVO_API_KEY");
        // Configure HTTP client for high throughput
        TavoClient client = TavoSdk.createClientBuilder(apiKey)
            .withMaxConnections(50)
            .withConnectionTimeout(Duration.ofSeconds(10))
            .withReadTimeout(Duration.ofSeconds(30))
            .build();

        ScanList scans = client.scanManagement().listScans();
        System.out.println("scans: " + scans.total() + " (max connections " + client.maxConnections() + ")");
    }
}
