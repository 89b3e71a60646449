package io.tavo.sdk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A real {@code tavo serve} (from the repository's .venv) on a free loopback port with a data
 * directory of its own, started once for the whole test run and stopped at exit. Keys are made
 * through its admin API, each in an organisation of its own unless one is named, so tests never see
 * each other's data.
 */
final class TestServer {
    static final Path REPO = Path.of(System.getProperty("tavo.repo", "../..")).toAbsolutePath().normalize();
    static final Path TAVO = REPO.resolve(".venv/bin/tavo");
    static final ObjectMapper JSON = new ObjectMapper();
    static final String VULNERABLE_APP = String.join("\n",
            "import os", "import subprocess", "", "",
            "def run(user_command):",
            "    # A command built from input, run through a shell.",
            "    subprocess.call(\"ls \" + user_command, shell=True)", "", "",
            "def evaluate(expression):", "    return eval(expression)", "");

    private static TestServer instance;

    final Path dataDir;
    final int port;
    final Process process;
    final String adminKey;
    final String baseUrl;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private String repositoryUrl;

    static synchronized TestServer get() {
        if (instance == null) {
            try {
                instance = new TestServer();
            } catch (IOException error) {
                throw new UncheckedIOException(error);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(instance::stop));
        }
        return instance;
    }

    private TestServer() throws IOException {
        dataDir = Files.createTempDirectory("tavo-java-sdk-server");
        port = freePort();
        baseUrl = "http://127.0.0.1:" + port;
        log = dataDir.resolve("server.log");
        ProcessBuilder builder = new ProcessBuilder(TAVO.toString(), "serve", "--port", String.valueOf(port),
                "--data-dir", dataDir.resolve("data").toString());
        environment(builder);
        builder.environment().put("TAVO_FETCH_ALLOW_FILE_URLS", "true");
        // Webhook tests deliver to a receiver on loopback.
        builder.environment().put("TAVO_FETCH_ALLOW_HOSTS", "[\"127.0.0.1\"]");
        builder.redirectErrorStream(true).redirectOutput(log.toFile());
        process = builder.start();
        adminKey = awaitStart();
    }

    /** The environment of the server and of the CLI: the caller's, less every TAVO_ setting. */
    static void environment(ProcessBuilder builder) {
        builder.environment().keySet().removeIf(name -> name.startsWith("TAVO_"));
    }

    static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0)) {
            return probe.getLocalPort();
        }
    }

    private String awaitStart() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        String key = null;
        while (System.nanoTime() < deadline) {
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                if (line.strip().startsWith("tavo_") && key == null) {
                    key = line.strip();
                }
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("tavo serve exited:\n" + Files.readString(log));
            }
            if (key != null && healthy()) {
                return key;
            }
            sleep(200);
        }
        stop();
        throw new IllegalStateException("tavo serve did not start:\n" + Files.readString(log));
    }

    private boolean healthy() {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/health")).timeout(Duration.ofSeconds(2)).build();
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException error) {
            return false;
        } catch (InterruptedException error) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    void stop() {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        } catch (InterruptedException error) {
            Thread.currentThread().interrupt();
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException error) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(error);
        }
    }

    static String newOrg() {
        return "org-" + UUID.randomUUID().toString().substring(0, 12);
    }

    /** A key made through the admin API; {@code limits}: requests_per_hour, requests_per_day, scans_per_hour. */
    String createKey(String tier, String org, Map<String, Long> limits) {
        return createKey(tier, org, limits, null);
    }

    /** ... acting with {@code role} (admin, member, viewer) when given. */
    String createKey(String tier, String org, Map<String, Long> limits, String role) {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("tier", tier);
        body.put("org", org == null ? newOrg() : org);
        if (limits != null && !limits.isEmpty()) {
            body.put("limits", limits);
        }
        if (role != null) {
            body.put("role", role);
        }
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/api/v1/admin/keys"))
                    .header("Authorization", "Bearer " + adminKey).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build();
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 201) {
                throw new IllegalStateException("creating a key: " + response.statusCode() + " " + response.body());
            }
            return JSON.readTree(response.body()).get("key").asText();
        } catch (IOException error) {
            throw new UncheckedIOException(error);
        } catch (InterruptedException error) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(error);
        }
    }

    /** A key whose limits no test reaches, in an organisation of its own (or the one named). */
    String unlimitedKey(String org) {
        return createKey("pro", org, Map.of("requests_per_hour", 100_000_000L, "requests_per_day", 1_000_000_000L,
                "scans_per_hour", 1_000_000L));
    }

    /** An organisation key acting as the organisation's admin (it manages users). */
    String orgAdminKey(String org) {
        return createKey("pro", org, Map.of("requests_per_hour", 100_000_000L), "admin");
    }

    String unlimitedKey() {
        return unlimitedKey(null);
    }

    /** A key made the way an operator does: {@code tavo keys create --tier ... --json}. */
    String createKeyWithCli(String tier) {
        List<String> command = List.of(TAVO.toString(), "keys", "create", "--json", "--tier", tier, "--org", newOrg(),
                "--data-dir", dataDir.resolve("data").toString());
        try {
            JsonNode created = JSON.readTree(run(command, dataDir));
            return created.get("key").asText();
        } catch (IOException error) {
            throw new UncheckedIOException(error);
        }
    }

    /** A git repository with findings, as a file:// URL the server may fetch (made once). */
    synchronized String repositoryUrl() {
        if (repositoryUrl == null) {
            repositoryUrl = gitRepository("app", Map.of("app.py", VULNERABLE_APP, "README.md", "# demo\n"));
        }
        return repositoryUrl;
    }

    String gitRepository(String name, Map<String, String> files) {
        try {
            Path root = Files.createDirectories(dataDir.resolve("repos").resolve(name));
            for (Map.Entry<String, String> file : files.entrySet()) {
                Files.writeString(root.resolve(file.getKey()), file.getValue());
            }
            List<String> git = List.of("git", "-c", "user.email=tests@tavo.invalid", "-c", "user.name=tests");
            run(concat(git, "init", "-q", "-b", "main"), root);
            run(concat(git, "add", "-A"), root);
            run(concat(git, "commit", "-q", "-m", "initial"), root);
            String uri = root.toUri().toString();
            return uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
        } catch (IOException error) {
            throw new UncheckedIOException(error);
        }
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> all = new ArrayList<>(head);
        all.addAll(List.of(tail));
        return all;
    }

    static String run(List<String> command, Path directory) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
            environment(builder);
            Process child = builder.start();
            String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (child.waitFor() != 0) {
                throw new IllegalStateException(command + " failed:\n" + output);
            }
            return output;
        } catch (IOException error) {
            throw new UncheckedIOException(error);
        } catch (InterruptedException error) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(error);
        }
    }

    /** A client of this server with the given key and the test's own settings. */
    TavoClientBuilder client(String key) {
        return TavoSdk.createClientBuilder(key).withBaseUrl(baseUrl);
    }
}
