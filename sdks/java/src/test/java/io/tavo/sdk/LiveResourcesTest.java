package io.tavo.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.tavo.sdk.models.AiModelList;
import io.tavo.sdk.models.Analysis;
import io.tavo.sdk.models.AnalysisResult;
import io.tavo.sdk.models.AnalyzedFinding;
import io.tavo.sdk.models.BulkActionResult;
import io.tavo.sdk.models.BulkScanResult;
import io.tavo.sdk.models.BulkStatusResult;
import io.tavo.sdk.models.CustomRuleFile;
import io.tavo.sdk.models.FindingHistory;
import io.tavo.sdk.models.FindingList;
import io.tavo.sdk.models.TrackedFinding;
import io.tavo.sdk.models.ModelFileVerdict;
import io.tavo.sdk.models.Repository;
import io.tavo.sdk.models.RuleDetail;
import io.tavo.sdk.models.RuleList;
import io.tavo.sdk.models.Scan;
import io.tavo.sdk.models.ScanDiff;
import io.tavo.sdk.models.ScanList;
import io.tavo.sdk.models.ScanResults;
import io.tavo.sdk.models.ScanStatus;
import io.tavo.sdk.models.Severity;
import io.tavo.sdk.models.Vulnerability;
import io.tavo.sdk.resources.AnalysisResultParams;
import io.tavo.sdk.resources.CreateScanParams;
import io.tavo.sdk.resources.ListFindingsParams;
import io.tavo.sdk.resources.ListRulesParams;
import io.tavo.sdk.resources.ListScansParams;
import io.tavo.sdk.resources.ScanResultsParams;
import io.tavo.sdk.resources.UploadScanParams;

/** Every resource against the real server, blocking and async, with one finished scan shared. */
class LiveResourcesTest {
    static final String SEED_RULES = "rules:\n" + List.of(1, 2, 3).stream().map(n -> String.join("\n",
            "  - id: rule" + n,
            "    title: Example rule " + n,
            "    message: Marks lines that say TODO-" + n + ".",
            "    severity: LOW",
            "    confidence: HIGH",
            "    category: example",
            "    fix: Resolve the TODO.",
            "    languages: [generic]",
            "    regex:",
            "      pattern: 'TODO-" + n + "\\b'",
            "    examples:",
            "      positive:",
            "        - \"x = 1  # TODO-" + n + "\"",
            "      negative:",
            "        - \"x = 1\"",
            "")).collect(Collectors.joining());

    private static final TestServer SERVER = TestServer.get();
    private static TavoClient client;
    private static String scanId;
    private static final List<String> WIRE = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void finishedScan() {
        client = SERVER.client(SERVER.unlimitedKey()).withRequestHook(request -> WIRE.add(request.method() + " " + request.url()))
                .build();
        Scan scan = client.scanManagement().createScan(new CreateScanParams().repositoryUrl(SERVER.repositoryUrl())
                .scanType("security").branch("main"));
        assertTrue(List.of("queued", "running").contains(scan.status()), scan.status());
        ScanStatus done = client.scanManagement().waitForScan(scan.id(), Duration.ofMinutes(3));
        assertEquals("completed", done.status());
        assertTrue(done.finished());
        scanId = scan.id();
        // Followed on the event stream, without polling the status.
        assertTrue(WIRE.stream().anyMatch(line -> line.endsWith("/scans/" + scanId + "/events")), WIRE.toString());
        assertFalse(WIRE.stream().anyMatch(line -> line.endsWith("/scans/" + scanId + "/status")), WIRE.toString());
    }

    @Test
    void scansAreListedReadAndPaged() {
        ScanList page = client.scanManagement().listScans(Map.of("page", 0, "page_size", 100, "status", "completed"));
        assertTrue(page.items().stream().anyMatch(scan -> scan.id().equals(scanId)));
        assertTrue(client.scanManagement().listScans(new ListScansParams().status("completed")).total() >= 1);
        assertEquals(0, client.scanManagement().listScans(new ListScansParams().status("failed")).total());
        Scan scan = client.scanManagement().getScan(scanId);
        assertTrue(scan.finished());
        assertTrue(scan.summary().total() >= 2, scan.toString());
        assertTrue(scan.summary().bySeverity().values().stream().mapToInt(Integer::intValue).sum() >= 2);
        List<String> completed = client.scanManagement().iterScans("completed", 1).stream().map(Scan::id).toList();
        assertTrue(completed.contains(scanId), completed.toString());
        assertEquals(completed.size(), Set.copyOf(completed).size());

        ScanResults results = client.scanManagement().getScanResults(scanId);
        assertEquals(scanId, results.scanId());
        assertEquals("completed", results.scanStatus());
        assertEquals(results.total(), results.vulnerabilities().size());
        assertThrows(UnsupportedOperationException.class, () -> results.vulnerabilities().clear());

        // Page by page in both styles, blocking and async: the same findings.
        List<String> all = results.vulnerabilities().stream().map(Vulnerability::id).toList();
        var pager = client.scanManagement().iterResults(scanId, null, 1);
        List<String> byItem = new ArrayList<>();
        for (Vulnerability finding : pager) {
            byItem.add(finding.id());
        }
        assertEquals(all, byItem);
        assertEquals(all, pager.stream().map(Vulnerability::id).toList());
        assertEquals(all.size(), pager.pageStream().count());
        int pages = 0;
        for (ScanResults one : pager.pages()) {
            assertEquals(1, one.items().size());
            pages++;
        }
        assertEquals(all.size(), pages);
        assertEquals(all, pager.toListAsync().join().stream().map(Vulnerability::id).toList());
        List<Integer> sizes = Collections.synchronizedList(new ArrayList<>());
        pager.forEachPageAsync(one -> sizes.add(one.items().size())).join();
        assertEquals(all.size(), sizes.size());

        ScanResults high = client.scanManagement().getScanResults(scanId, new ScanResultsParams().severity("HIGH", "CRITICAL"));
        assertFalse(high.vulnerabilities().isEmpty());
        high.vulnerabilities().forEach(f -> assertTrue(Severity.parse(f.severity()).atLeast(Severity.HIGH)));
        ScanResults firstPage = client.scanManagement().getScanResults(scanId, Map.of("offset", 0, "limit", 1));
        assertTrue(firstPage.hasMore());
    }

    @Test
    void aRescanIsComparedAndExportedAsSarif() {
        Scan again = client.scanManagement().createScan(new CreateScanParams().repositoryUrl(SERVER.repositoryUrl()).ref("main"));
        assertEquals("completed", client.scanManagement().waitForScanAsync(again.id(), Duration.ofMinutes(3)).join().status());
        ScanDiff diff = client.scanManagement().getScanDiff(again.id(), scanId);
        assertEquals(scanId, diff.baseScanId());
        assertTrue(diff.newFindings().isEmpty() && diff.fixed().isEmpty(), diff.toString());
        assertFalse(diff.unchanged().isEmpty());
        Map<String, Object> sarif = client.scanManagement().getScanSarif(scanId);
        assertEquals("2.1.0", sarif.get("version"));
        assertFalse(((List<?>) sarif.get("runs")).isEmpty());
    }

    @Test
    void asyncCallsRunTogether() {
        CompletableFuture<ScanList> scans = client.scanManagement().listScansAsync();
        CompletableFuture<AiModelList> models = client.aiAnalysis().getModelsAsync();
        CompletableFuture<ScanStatus> status = client.scanManagement().getScanStatusAsync(scanId);
        CompletableFuture.allOf(scans, models, status).join();
        assertTrue(scans.join().total() >= 1);
        assertEquals("tavo-triage-v1", models.join().defaultModel());
        assertTrue(status.join().finished());
        assertEquals("completed", client.scanManagement().waitForScanAsync(scanId).join().status());
    }

    @Test
    void cancelDeleteAndUpload() throws IOException {
        TavoClient own = SERVER.client(SERVER.unlimitedKey()).build();
        Scan scan = own.scanManagement().createScanAsync(SERVER.repositoryUrl()).join();
        Scan cancelled = own.scanManagement().cancelScan(scan.id());
        assertTrue(cancelled.cancelRequested() || cancelled.status().equals("cancelled"), cancelled.toString());
        assertTrue(own.scanManagement().waitForScan(scan.id(), Duration.ofMinutes(2)).finished());
        own.scanManagement().deleteScan(scan.id());
        assertThrows(TavoNotFoundException.class, () -> own.scanManagement().getScan(scan.id()));

        Scan uploaded = own.scanManagement().uploadScan(zip(Map.of("app.py", TestServer.VULNERABLE_APP)),
                new UploadScanParams().scanType("security").project("java-sdk-demo"), null);
        assertEquals("upload", uploaded.source());
        assertEquals("java-sdk-demo", uploaded.project());
        ScanStatus done = own.scanManagement().waitForScan(uploaded.id(), Duration.ofMinutes(3));
        assertEquals("completed", done.status());
        assertTrue(done.totalFindings() >= 2);

        java.nio.file.Path project = java.nio.file.Files.createTempDirectory("tavo-upload");
        java.nio.file.Files.writeString(project.resolve("app.py"), TestServer.VULNERABLE_APP);
        java.nio.file.Files.writeString(project.resolve(".gitignore"), "vendored/\n");
        java.nio.file.Files.createDirectories(project.resolve("vendored"));
        java.nio.file.Files.writeString(project.resolve("vendored/lib.py"), TestServer.VULNERABLE_APP);
        Scan directory = own.scanManagement().uploadScanAsync(project).join();
        ScanStatus packed = own.scanManagement().waitForScan(directory.id(), Duration.ofMinutes(3));
        assertEquals(done.totalFindings(), packed.totalFindings(), "the ignored copy was not uploaded");
    }

    private static byte[] zip(Map<String, String> files) throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(buffer)) {
            for (var file : files.entrySet()) {
                zip.putNextEntry(new ZipEntry(file.getKey()));
                zip.write(file.getValue().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        }
        return buffer.toByteArray();
    }

    @Test
    void bulkCreationsAndStatuses() {
        TavoClient own = SERVER.client(SERVER.unlimitedKey()).build();
        BulkScanResult bulk = own.scanBulkOperations().createBulkScans(List.of(
                new CreateScanParams().repositoryUrl(SERVER.repositoryUrl()).scanType("secrets"),
                Map.of("repository_url", "not a url")));
        assertEquals(1, bulk.created());
        assertEquals(1, bulk.failed());
        assertEquals("INVALID_REPOSITORY_URL", bulk.results().get(1).error().code());
        assertEquals(1, bulk.results().get(1).index());
        String created = bulk.results().get(0).scanId();
        BulkStatusResult statuses = own.scanBulkOperations().getBulkStatus(List.of(created, "scan_nope"));
        assertEquals(List.of(true, false), statuses.results().stream().map(s -> s.success()).toList());
        assertEquals(1, statuses.notFound());
        BulkActionResult cancelled = own.scanBulkOperations().bulkCancelScans(List.of(created, "scan_nope"));
        assertEquals(List.of(true, false), cancelled.results().stream().map(item -> item.success()).toList());
        assertEquals("NOT_FOUND", cancelled.results().get(1).error().code());
        own.scanManagement().waitForScan(created, Duration.ofMinutes(2));
        BulkActionResult deleted = own.scanBulkOperations().bulkDeleteScansAsync(List.of(created)).join();
        assertEquals(1, deleted.succeeded());
        assertThrows(TavoNotFoundException.class, () -> own.scanManagement().getScan(created));
    }

    @Test
    void repositoriesByIdAndByUrl() {
        Repository registered = client.repositories().createRepository(SERVER.repositoryUrl());
        assertEquals(registered.id(), client.repositories().getRepository(registered.id()).id());
        Repository byUrl = client.repositories().getRepository(SERVER.repositoryUrl(), 5);
        assertEquals(registered.id(), byUrl.id());
        assertNotNull(byUrl.lastScan());
        assertTrue(client.repositories().listRepositories().total() >= 1);
        assertEquals(registered.id(), client.repositories().iterRepositories().toList().get(0).id());
        assertThrows(IllegalArgumentException.class, () -> client.repositories().createRepository(Map.of("name", "x")));
    }

    @Test
    void rulesPacksAndCustomRuleFiles() {
        TavoClient own = SERVER.client(SERVER.unlimitedKey()).build();
        RuleList high = own.scanRules().listRules(new ListRulesParams().severity("HIGH"));
        assertFalse(high.items().isEmpty());
        high.items().forEach(rule -> assertEquals("HIGH", rule.severity()));
        RuleDetail rule = own.scanRules().getRule(high.items().get(0).id());
        assertFalse(rule.definition().isEmpty());
        assertFalse(own.scanRules().listPacks().items().isEmpty());

        CustomRuleFile uploaded = own.scanRules().uploadCustomRules("seed-rules.yaml", SEED_RULES);
        assertEquals(List.of("rule1", "rule2", "rule3"), uploaded.ruleIds());
        assertEquals(Boolean.FALSE, uploaded.replaced());
        assertEquals(1, own.scanRules().listCustomRuleFiles().total());
        assertTrue(own.scanRules().getCustomRuleFile(uploaded.id()).content().contains("TODO-1"));
        own.scanRules().deleteCustomRuleFile(uploaded.id());
        assertEquals(0, own.scanRules().listCustomRuleFilesAsync().join().total());
        assertThrows(TavoValidationException.class, () -> own.scanRules().uploadCustomRules("bad.yaml", "rules: [{id: x}]"));
    }

    @Test
    void findingsAcrossScansArePagedTriagedAndHaveAHistory() {
        FindingList first = client.findings().listFindings(new ListFindingsParams().limit(100));
        assertFalse(first.items().isEmpty());
        List<String> all = first.items().stream().map(TrackedFinding::id).toList();
        var pager = client.findings().iterFindings(null, 1);
        assertEquals(Set.copyOf(all), pager.stream().map(TrackedFinding::id).collect(Collectors.toSet()));
        assertEquals(all.size(), pager.pageStream().count());
        FindingList cursorPage = client.findings().listFindings(Map.of("cursor", "", "limit", 1));
        assertNotNull(cursorPage.nextCursor());

        String id = all.get(0);
        TrackedFinding triaged = client.findings().triageFinding(id, "false_positive", "test input only");
        assertEquals("false_positive", triaged.status());
        assertEquals("test input only", triaged.triage().comment());
        assertEquals("false_positive", client.findings().getFindingAsync(id).join().status());
        FindingHistory history = client.findings().getFindingHistory(id);
        assertTrue(history.items().stream().anyMatch(event -> event.toStatus().equals("false_positive")), history.toString());
        assertEquals("open", client.findings().triageFinding(id, "open").status());
        assertThrows(TavoValidationException.class, () -> client.findings().triageFinding(id, "not-a-status"));
    }

    @Test
    void aiAnalysisOfTheScanAndOfAModelFile() {
        AnalysisResult whole = client.aiAnalysis().analyzeScan(scanId);
        assertEquals(scanId, whole.scanId());
        assertFalse(whole.findings().isEmpty());
        assertEquals(whole.total(), whole.findings().size());
        assertNotNull(whole.securityScore());

        Analysis job = client.aiAnalysis().createAnalysis(scanId);
        Analysis finished = client.aiAnalysis().getAnalysis(job.id(), Duration.ofSeconds(30));
        assertTrue(finished.finished() || client.aiAnalysis().waitForAnalysis(job.id()).finished());
        assertTrue(client.aiAnalysis().listAnalyses(Map.of("scan_id", scanId)).total() >= 2);
        AnalysisResult page = client.aiAnalysis().getAnalysisResult(job.id(), new AnalysisResultParams().limit(1));
        assertEquals(1, page.findings().size());
        List<String> ids = client.aiAnalysis().iterFindings(job.id(), null, 1).stream().map(AnalyzedFinding::findingId).toList();
        assertEquals(whole.findings().size(), ids.size());

        byte[] pickle = "cos\nsystem\n(S'echo pwned'\ntR.".getBytes(StandardCharsets.ISO_8859_1);
        ModelFileVerdict verdict = client.aiAnalysis().analyzeModelFile(pickle, "model.pkl");
        assertFalse(verdict.safe());
        assertFalse(verdict.risks().isEmpty());
    }
}
