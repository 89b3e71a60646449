package io.tavo.examples;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.tavo.sdk.CircuitBreaker;
import io.tavo.sdk.TavoClient;
import io.tavo.sdk.TavoSdk;
import io.tavo.sdk.models.AnalysisResult;
import io.tavo.sdk.models.Vulnerability;

/**
 * "Concurrent operations", "streaming and pagination" and "monitoring": each repository URL given
 * as an argument is scanned, waited for (the server's event stream, no polling loop) and analysed,
 * all at once; the findings are then read page by page as a stream; the client's metrics and
 * circuit breaker are printed at the end.
 */
public final class AnalyzeRepositories {
    public static void main(String[] args) {
        try (TavoClient client = TavoSdk.createClientBuilder().withCircuitBreaker(new CircuitBreaker(5, Duration.ofSeconds(30)))
                .build()) {
            List<CompletableFuture<AnalysisResult>> analyses = List.of(args).stream()
                    .map(url -> client.scanManagement().createScanAsync(url)
                            .thenCompose(scan -> client.scanManagement().waitForScanAsync(scan.id(), Duration.ofMinutes(5)))
                            .thenCompose(status -> client.aiAnalysis().analyzeScanAsync(status.id())))
                    .toList();
            for (AnalysisResult analysis : CompletableFuture.allOf(analyses.toArray(CompletableFuture[]::new))
                    .thenApply(done -> analyses.stream().map(CompletableFuture::join).toList()).join()) {
                long high = client.scanManagement().iterResults(analysis.scanId()).stream()
                        .filter(finding -> List.of("CRITICAL", "HIGH").contains(finding.severity()))
                        .map(Vulnerability::ruleId).count();
                System.out.println("scan " + analysis.scanId() + ": score=" + analysis.securityScore().score()
                        + " findings=" + analysis.findings().size() + " high_or_critical=" + high);
            }
            System.out.println("requests=" + client.metrics().requestsTotal() + " errors=" + client.metrics().requestsFailed()
                    + " circuit=" + client.circuitBreaker().state());
        }
    }
}
