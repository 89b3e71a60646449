package io.tavo.sdk.resources;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.tavo.sdk.Defaults;
import io.tavo.sdk.Pager;
import io.tavo.sdk.TavoTimeoutException;
import io.tavo.sdk.internal.ApiClient;
import io.tavo.sdk.internal.ApiRequest;
import io.tavo.sdk.models.AiModelList;
import io.tavo.sdk.models.Analysis;
import io.tavo.sdk.models.AnalysisList;
import io.tavo.sdk.models.AnalysisResult;
import io.tavo.sdk.models.AnalyzedFinding;
import io.tavo.sdk.models.ModelFileVerdict;

/**
 * {@code client.aiAnalysis()}: AI analysis of finished scans: the models, analysis jobs and their
 * results, and verdicts on model files. {@link #analyzeScan} does it all: starts the analysis, waits
 * for it (the server long-polls, so waiting costs a request a minute at most) and returns the whole
 * result.
 */
public final class AiAnalysis extends Resource {
    public AiAnalysis(ApiClient api) {
        super(api);
    }

    /** The analysis models this server offers (cached while fresh). */
    public AiModelList getModels() { return await(() -> getModelsAsync()); }

    public CompletableFuture<AiModelList> getModelsAsync() {
        return api.request(ApiRequest.get(ApiRequest.path("ai", "models")), AiModelList.class);
    }

    // --- the whole analysis ----------------------------------------------------------------------

    /** Analyses a completed scan with the server's default model; the whole result. */
    public AnalysisResult analyzeScan(String scanId) { return await(() -> analyzeScanAsync(scanId, null, null, Defaults.SCAN_WAIT_TIMEOUT)); }

    public AnalysisResult analyzeScan(String scanId, String model, AnalysisOptions options, Duration timeout) {
        return await(() -> analyzeScanAsync(scanId, model, options, timeout));
    }

    public CompletableFuture<AnalysisResult> analyzeScanAsync(String scanId) {
        return analyzeScanAsync(scanId, null, null, Defaults.SCAN_WAIT_TIMEOUT);
    }

    public CompletableFuture<AnalysisResult> analyzeScanAsync(String scanId, String model, AnalysisOptions options,
                                                              Duration timeout) {
        return createAnalysisAsync(scanId, model, options)
                .thenCompose(job -> waitForAnalysisAsync(job.id(), timeout))
                .thenCompose(job -> {
                    List<AnalysisResult> pages = new ArrayList<>();
                    return iterFindings(job.id()).forEachPageAsync(pages::add).thenApply(done -> joined(pages));
                });
    }

    private static AnalysisResult joined(List<AnalysisResult> pages) {
        AnalysisResult first = pages.get(0);
        List<AnalyzedFinding> findings = new ArrayList<>();
        pages.forEach(page -> findings.addAll(page.findings()));
        int count = findings.size();
        return new AnalysisResult(first.total(), 0, count, 0, count, false, first.analysisId(), first.scanId(),
                first.model(), first.status(), first.summary(), first.securityScore(), first.fixFirst(),
                first.owaspLlmCoverage(), first.clusters(), List.copyOf(findings));
    }

    // --- jobs ----------------------------------------------------------------------------------

    /** Starts an analysis of a completed scan (the server's default model) and returns the job. */
    public Analysis createAnalysis(String scanId) { return await(() -> createAnalysisAsync(scanId, null, null)); }
    public Analysis createAnalysis(String scanId, String model, AnalysisOptions options) {
        return await(() -> createAnalysisAsync(scanId, model, options));
    }

    public CompletableFuture<Analysis> createAnalysisAsync(String scanId) { return createAnalysisAsync(scanId, null, null); }

    public CompletableFuture<Analysis> createAnalysisAsync(String scanId, String model, AnalysisOptions options) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("scan_id", required("scanId", scanId));
        if (model != null) {
            body.put("model", model);
        }
        if (options != null && !options.toMap().isEmpty()) {
            body.put("options", options.toMap());
        }
        return api.request(ApiRequest.post(ApiRequest.path("ai", "analyses"), body), Analysis.class);
    }

    /** An analysis job, at once. */
    public Analysis getAnalysis(String analysisId) { return await(() -> getAnalysisAsync(analysisId, Duration.ZERO)); }

    /** An analysis job; the server answers when it finishes or after {@code wait} (at most 60 s). */
    public Analysis getAnalysis(String analysisId, Duration wait) { return await(() -> getAnalysisAsync(analysisId, wait)); }

    public CompletableFuture<Analysis> getAnalysisAsync(String analysisId) { return getAnalysisAsync(analysisId, Duration.ZERO); }

    public CompletableFuture<Analysis> getAnalysisAsync(String analysisId, Duration wait) {
        Duration held = wait == null || wait.isNegative() ? Duration.ZERO
                : wait.compareTo(Defaults.MAX_ANALYSIS_SERVER_WAIT) > 0 ? Defaults.MAX_ANALYSIS_SERVER_WAIT : wait;
        ApiRequest request = ApiRequest.get(ApiRequest.path("ai", "analyses", analysisId)).uncached()
                // The read timeout must outlast the server's long poll.
                .withTimeout(api.config().readTimeout().plus(held));
        if (!held.isZero()) {
            request = request.withQuery(Map.of("wait", held.toMillis() / 1000.0));
        }
        return api.request(request, Analysis.class);
    }

    /** Waits (up to 10 minutes) until the analysis is finished and returns the job. */
    public Analysis waitForAnalysis(String analysisId) { return await(() -> waitForAnalysisAsync(analysisId, Defaults.SCAN_WAIT_TIMEOUT)); }
    public Analysis waitForAnalysis(String analysisId, Duration timeout) { return await(() -> waitForAnalysisAsync(analysisId, timeout)); }

    public CompletableFuture<Analysis> waitForAnalysisAsync(String analysisId) {
        return waitForAnalysisAsync(analysisId, Defaults.SCAN_WAIT_TIMEOUT);
    }

    public CompletableFuture<Analysis> waitForAnalysisAsync(String analysisId, Duration timeout) {
        if (timeout == null || timeout.isNegative()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("timeout must be a non-negative duration"));
        }
        return waitUntil(analysisId, System.nanoTime() + timeout.toNanos(), timeout);
    }

    private CompletableFuture<Analysis> waitUntil(String analysisId, long deadline, Duration timeout) {
        Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        return getAnalysisAsync(analysisId, left).thenCompose(job -> {
            if (job.finished()) {
                return CompletableFuture.completedFuture(job);
            }
            if (System.nanoTime() >= deadline) {
                return CompletableFuture.failedFuture(new TavoTimeoutException(
                        "analysis " + analysisId + " did not finish within " + timeout.toMillis() / 1000.0 + "s"));
            }
            return waitUntil(analysisId, deadline, timeout);
        });
    }

    /** The organisation's analyses. */
    public AnalysisList listAnalyses() { return await(() -> listAnalysesAsync(Map.of())); }
    public AnalysisList listAnalyses(ListAnalysesParams params) { return await(() -> listAnalysesAsync(params)); }
    public AnalysisList listAnalyses(Map<String, ?> params) { return await(() -> listAnalysesAsync(params)); }

    public CompletableFuture<AnalysisList> listAnalysesAsync() { return listAnalysesAsync(Map.of()); }
    public CompletableFuture<AnalysisList> listAnalysesAsync(ListAnalysesParams params) { return listAnalysesAsync(map(params)); }

    public CompletableFuture<AnalysisList> listAnalysesAsync(Map<String, ?> params) {
        return api.request(ApiRequest.get(ApiRequest.path("ai", "analyses")).withQuery(copy(params)), AnalysisList.class);
    }

    // --- results -------------------------------------------------------------------------------

    /** One page of a finished analysis's findings, with the scan-level parts. */
    public AnalysisResult getAnalysisResult(String analysisId) { return await(() -> getAnalysisResultAsync(analysisId, Map.of())); }
    public AnalysisResult getAnalysisResult(String analysisId, AnalysisResultParams params) {
        return await(() -> getAnalysisResultAsync(analysisId, params));
    }
    public AnalysisResult getAnalysisResult(String analysisId, Map<String, ?> params) {
        return await(() -> getAnalysisResultAsync(analysisId, params));
    }

    public CompletableFuture<AnalysisResult> getAnalysisResultAsync(String analysisId) {
        return getAnalysisResultAsync(analysisId, Map.of());
    }

    public CompletableFuture<AnalysisResult> getAnalysisResultAsync(String analysisId, AnalysisResultParams params) {
        return getAnalysisResultAsync(analysisId, map(params));
    }

    public CompletableFuture<AnalysisResult> getAnalysisResultAsync(String analysisId, Map<String, ?> params) {
        ApiRequest request = ApiRequest.get(ApiRequest.path("ai", "analyses", analysisId, "result")).withQuery(copy(params));
        return api.request(request, AnalysisResult.class);
    }

    /** Every analysed finding, a page at a time as iteration goes. */
    public Pager<AnalysisResult, AnalyzedFinding> iterFindings(String analysisId) {
        return iterFindings(analysisId, null, Defaults.ANALYSIS_RESULT_PAGE);
    }

    /** Every analysed finding matching {@code filters} (verdict, minimum risk; its paging is replaced). */
    public Pager<AnalysisResult, AnalyzedFinding> iterFindings(String analysisId, AnalysisResultParams filters, int pageSize) {
        Map<String, Object> base = map(filters);
        return new Pager<>((offset, limit) -> {
            Map<String, Object> query = new LinkedHashMap<>(base);
            query.remove("page");
            query.remove("page_size");
            query.put("offset", offset);
            query.put("limit", limit);
            return getAnalysisResultAsync(analysisId, query);
        }, pageSize, 0, AnalyzedFinding::findingId);
    }

    // --- model files ---------------------------------------------------------------------------

    /** A verdict on a model file (pickle, PyTorch, joblib, Keras, safetensors, ONNX, GGUF); never loaded. */
    public ModelFileVerdict analyzeModelFile(Path modelFile) {
        return await(() -> analyzeModelFileAsync(read(modelFile), String.valueOf(modelFile.getFileName())));
    }

    public ModelFileVerdict analyzeModelFile(byte[] data, String filename) { return await(() -> analyzeModelFileAsync(data, filename)); }

    public CompletableFuture<ModelFileVerdict> analyzeModelFileAsync(Path modelFile) {
        return analyzeModelFileAsync(read(modelFile), String.valueOf(modelFile.getFileName()));
    }

    public CompletableFuture<ModelFileVerdict> analyzeModelFileAsync(byte[] data, String filename) {
        if (data == null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("data must not be null"));
        }
        ApiRequest request = ApiRequest.post(ApiRequest.path("ai", "analyze"), null)
                .withBody(data, "application/octet-stream");
        if (filename != null && !filename.isEmpty()) {
            request = request.withQuery(Map.of("filename", filename));
        }
        return api.request(request, ModelFileVerdict.class);
    }
}
