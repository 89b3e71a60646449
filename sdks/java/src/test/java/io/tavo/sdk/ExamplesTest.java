package io.tavo.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The runnable examples in sdks/java/examples, each run as its own program (a JVM with only the
 * SDK's classpath.txt and the example) against the real server, configured through TAVO_API_KEY and
 * TAVO_BASE_URL as a user would.
 */
class ExamplesTest {
    private static final TestServer SERVER = TestServer.get();

    private static String run(String example, String key, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("tavo.examples.classes") + ":" + System.getProperty("tavo.sdk.classpath"),
                "io.tavo.examples." + example));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        TestServer.environment(builder);
        builder.environment().putAll(Map.of("TAVO_API_KEY", key, "TAVO_BASE_URL", SERVER.baseUrl));
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), example + " did not end");
        assertEquals(0, process.exitValue(), example + " failed:\n" + output);
        return output;
    }

    @Test
    void seedSnippetRunsAgainstTheServer() throws Exception {
        // A key made as an operator does, with the CLI.
        String output = run("SeedSnippet", SERVER.createKeyWithCli("pro"));
        assertTrue(output.contains("scans: 0 (max connections 50)"), output);
    }

    @Test
    void concurrentRequestsShareOneClient() throws Exception {
        String output = run("ConcurrentRequests", SERVER.unlimitedKey());
        assertTrue(output.contains("scans=0 repositories=0 models=1"), output);
        assertTrue(output.contains("cache_hits=1"), output);
    }

    @Test
    void bulkOperationsCreateAndBatch() throws Exception {
        String url = SERVER.repositoryUrl();
        String output = run("BulkOperations", SERVER.unlimitedKey(), url, url);
        assertTrue(output.contains("created=2 failed=0"), output);
        assertTrue(output.contains("batched statuses=2"), output);
        assertTrue(output.contains("completed=2"), output);
    }

    @Test
    void analyzeRepositoriesConcurrently() throws Exception {
        String output = run("AnalyzeRepositories", SERVER.unlimitedKey(), SERVER.repositoryUrl());
        assertTrue(output.matches("(?s).*scan scan_\\w+: score=\\d+ findings=[1-9]\\d* high_or_critical=[1-9].*"), output);
        assertTrue(output.contains("errors=0 circuit=CLOSED"), output);
    }
}
