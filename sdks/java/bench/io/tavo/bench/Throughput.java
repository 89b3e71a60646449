package io.tavo.bench;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.tavo.sdk.TavoClient;
import io.tavo.sdk.TavoSdk;

/**
 * The Java SDK's throughput against live servers (started by bench/java_sdk_throughput), each
 * figure beside its baseline measured in the same run:
 * <ol>
 *   <li>getScanStatus through the SDK vs the same GET through a bare JDK HttpClient loop, both
 *       64 threads on one shared client over plain HTTP (HTTP/1.1). goal: at least 0.80. The bare
 *       loop runs twice: with only the headers it needs (the key's figure), and with the SDK's
 *       headers (its Accept-Encoding: gzip costs the server per request too).</li>
 *   <li>one shared, long-lived client vs a new client per request (the seed's "bad" pattern), 64
 *       threads, over HTTPS (as an API is served) and over plain HTTP. goal: at least 5x</li>
 * </ol>
 * The loops of 1 first warm up until the JIT has nothing left to compile for them (a round with
 * the compiler busy is slowed by it, and on a busy machine the compiler lags for many seconds).
 * The machine may be shared (its load swings within seconds): in 1 the three loops run in short
 * rounds, their order reversed every other round, and each ratio is the median of the rounds' own
 * ratios (each round's loops ran back to back, under about the same load). The client's CPU time
 * per request (the process's, so the JDK client's threads too) is given beside it: the part the
 * SDK can change, and much less disturbed by the load than a rate. In 2 each side's median rate is
 * kept. The last line printed is one JSON object.
 */
public final class Throughput {
    static final int CONCURRENCY = 64;
    static final ObjectMapper JSON = new ObjectMapper();
    static final java.lang.management.CompilationMXBean JIT = java.lang.management.ManagementFactory.getCompilationMXBean();

    interface Call {
        void run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        String plainUrl = args[0];
        String plainAdmin = args[1];
        String tlsUrl = args[2];
        String tlsAdmin = args[3];
        SSLContext trust = trusting(Path.of(args[4]));
        String repository = args[5];
        int rounds = args.length > 6 ? Integer.parseInt(args[6]) : 3;
        int calls = args.length > 7 ? Integer.parseInt(args[7]) : 3000;
        int perRequestCalls = Math.max(CONCURRENCY, calls / 10);

        HttpClient admin = HttpClient.newBuilder().sslContext(trust).build();
        String plainKey = createKey(admin, plainUrl, plainAdmin);
        String tlsKey = createKey(admin, tlsUrl, tlsAdmin);
        String plainScan = createScan(admin, plainUrl, plainKey, repository);
        String tlsScan = createScan(admin, tlsUrl, tlsKey, repository);

        ExecutorService threads = Executors.newFixedThreadPool(CONCURRENCY);
        TavoClient sdk = TavoSdk.createClientBuilder(plainKey).withBaseUrl(plainUrl).withMaxConnections(CONCURRENCY).build();
        HttpClient bare = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest statusRequest = HttpRequest.newBuilder(URI.create(plainUrl + "/api/v1/scans/" + plainScan + "/status"))
                .header("Authorization", "Bearer " + plainKey).header("Accept", "application/json")
                .timeout(Duration.ofSeconds(30)).GET().build();
        // The same GET as the SDK sends it: its Accept-Encoding makes the server prepare for a gzip
        // answer (the response is too small to be compressed, but that costs the server too).
        HttpRequest sameRequest = HttpRequest.newBuilder(statusRequest.uri())
                .header("Authorization", "Bearer " + plainKey).header("Accept", "application/json")
                .header("Accept-Encoding", "gzip").header("User-Agent", "tavo-java/" + TavoSdk.VERSION)
                .timeout(Duration.ofSeconds(30)).GET().build();
        Call sameCall = () -> {
            HttpResponse<byte[]> response = bare.send(sameRequest, HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("bare GET answered " + response.statusCode());
            }
        };
        Call sdkCall = () -> sdk.scanManagement().getScanStatus(plainScan);
        Call bareCall = () -> {
            HttpResponse<byte[]> response = bare.send(statusRequest, HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("bare GET answered " + response.statusCode());
            }
        };
        Call[] loops = {sdkCall, bareCall, sameCall};
        int shortRounds = rounds * 3;
        int shortCalls = Math.max(CONCURRENCY * 4, calls / 3);
        // Warm-up: connections, and the JIT until it is done with these loops (on a busy machine
        // its compiler threads lag for a long time, and compiling during a round slows that round).
        int warmUps = 0;
        long compiling;
        do {
            long jitBefore = JIT.getTotalCompilationTime();
            for (Call loop : loops) {
                measure(threads, shortCalls, loop);
            }
            compiling = JIT.getTotalCompilationTime() - jitBefore;
            warmUps++;
        } while (compiling > 100 && warmUps < 30);
        System.out.printf(Locale.ROOT, "warm-up: %d rounds of the three loops (x%d each), the JIT compiling %d ms in the last%n",
                warmUps, shortCalls, compiling);
        List<List<Double>> rates = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        List<List<Double>> cpus = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        List<List<Double>> jits = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        List<Double> vsBare = new ArrayList<>();
        List<Double> vsSame = new ArrayList<>();
        for (int round = 0; round < shortRounds; round++) {
            double[] rate = new double[3];
            for (int step = 0; step < 3; step++) {
                int which = round % 2 == 0 ? step : 2 - step;
                long cpuBefore = processCpuNanos();
                long jitBefore = JIT.getTotalCompilationTime();
                rate[which] = measure(threads, shortCalls, loops[which]);
                cpus.get(which).add((double) Math.round((processCpuNanos() - cpuBefore) / 1e3 / shortCalls));
                jits.get(which).add((double) (JIT.getTotalCompilationTime() - jitBefore));
                rates.get(which).add(rate[which]);
            }
            vsBare.add(rate[0] / rate[1]);
            vsSame.add(rate[0] / rate[2]);
        }
        double sdkRate = median(rates.get(0));
        double bareRate = median(rates.get(1));
        double sameRate = median(rates.get(2));
        double vsHttpClient = median(vsBare);
        double vsSameRequest = median(vsSame);
        double sdkCpu = median(cpus.get(0));
        double bareCpu = median(cpus.get(1));
        double sameCpu = median(cpus.get(2));
        System.out.printf(Locale.ROOT, "1. getScanStatus at concurrency %d (plain HTTP/1.1), %d rounds of x%d, order reversed every other round:%n",
                CONCURRENCY, shortRounds, shortCalls);
        System.out.printf(Locale.ROOT, "   SDK %.0f req/s %s%n   bare HttpClient %.0f req/s %s%n", sdkRate, rates.get(0), bareRate, rates.get(1));
        System.out.printf(Locale.ROOT, "   bare HttpClient with the SDK's headers (Accept-Encoding: gzip) %.0f req/s %s%n", sameRate, rates.get(2));
        System.out.printf(Locale.ROOT, "   each round's SDK/bare ratio %s%n", round2All(vsBare));
        System.out.printf(Locale.ROOT, "   client CPU per request (median): SDK %.0f us, bare %.0f us, bare with the SDK's headers %.0f us%n",
                sdkCpu, bareCpu, sameCpu);
        System.out.printf(Locale.ROOT, "   by round: SDK %s us, bare %s us; JIT compiling during the rounds: SDK %s ms, bare %s ms%n",
                cpus.get(0), cpus.get(1), jits.get(0), jits.get(1));
        System.out.printf(Locale.ROOT, "   throughput_vs_httpclient = %.2f (median of the rounds' ratios; goal >= 0.80); against the same request %.2f%n",
                vsHttpClient, vsSameRequest);

        double tlsRatio = sharedVsPerRequest("HTTPS", threads, tlsUrl, tlsKey, tlsScan, trust, rounds, calls, perRequestCalls);
        double plainRatio = sharedVsPerRequest("plain HTTP", threads, plainUrl, plainKey, plainScan, null, rounds, calls,
                perRequestCalls);
        threads.shutdown();
        Map<String, Object> result = new java.util.LinkedHashMap<>();
        result.put("throughput_vs_httpclient", round2(vsHttpClient));
        result.put("throughput_vs_httpclient_same_headers", round2(vsSameRequest));
        result.put("shared_vs_per_request", round2(tlsRatio));
        result.put("shared_vs_per_request_plain_http", round2(plainRatio));
        result.put("sdk_requests_per_second", Math.round(sdkRate));
        result.put("httpclient_requests_per_second", Math.round(bareRate));
        result.put("httpclient_same_headers_requests_per_second", Math.round(sameRate));
        result.put("client_cpu_us_per_request_sdk", Math.round(sdkCpu));
        result.put("client_cpu_us_per_request_httpclient", Math.round(bareCpu));
        result.put("concurrency", CONCURRENCY);
        result.put("rounds", rounds);
        result.put("goals_met", vsHttpClient >= 0.80 && tlsRatio >= 5.0);
        System.out.println(JSON.writeValueAsString(result));
    }

    private static double sharedVsPerRequest(String label, ExecutorService threads, String url, String key, String scan,
                                             SSLContext trust, int rounds, int calls, int perRequestCalls) throws Exception {
        TavoClient shared = client(url, key, trust);
        Call sharedCall = () -> shared.scanManagement().getScanStatus(scan);
        Call perRequestCall = () -> client(url, key, trust).scanManagement().getScanStatus(scan);
        measure(threads, calls / 3, sharedCall);
        measure(threads, perRequestCalls / 3, perRequestCall);
        List<Double> sharedRates = new ArrayList<>();
        List<Double> perRequestRates = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            sharedRates.add(measure(threads, calls, sharedCall));
            perRequestRates.add(measure(threads, perRequestCalls, perRequestCall));
            System.gc(); // the discarded clients' selector threads end when collected
        }
        double ratio = median(sharedRates) / median(perRequestRates);
        System.out.printf(Locale.ROOT, "2. shared client vs a client per request, %s, concurrency %d:%n", label, CONCURRENCY);
        System.out.printf(Locale.ROOT, "   shared %.0f req/s %s (x%d), per request %.0f req/s %s (x%d): %.1fx (goal >= 5)%n",
                median(sharedRates), sharedRates, calls, median(perRequestRates), perRequestRates, perRequestCalls, ratio);
        return ratio;
    }

    private static TavoClient client(String url, String key, SSLContext trust) {
        var builder = TavoSdk.createClientBuilder(key).withBaseUrl(url).withMaxConnections(CONCURRENCY);
        if (trust != null) {
            builder.withSslContext(trust);
        }
        return builder.build();
    }

    /** Requests per second of {@code total} calls spread over the threads. */
    static double measure(ExecutorService threads, int total, Call call) throws Exception {
        AtomicInteger left = new AtomicInteger(total);
        List<Future<?>> workers = new ArrayList<>();
        long started = System.nanoTime();
        for (int i = 0; i < CONCURRENCY; i++) {
            workers.add(threads.submit(() -> {
                while (left.getAndDecrement() > 0) {
                    call.run();
                }
                return null;
            }));
        }
        for (Future<?> worker : workers) {
            worker.get();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        return Math.round(total / seconds * 10) / 10.0;
    }

    /** CPU time of this whole process (every thread, the JDK client's included). */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    static List<Double> round2All(List<Double> values) {
        return values.stream().map(Throughput::round2).toList();
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    static double round2(double value) {
        return Math.round(value * 100) / 100.0;
    }

    static SSLContext trusting(Path certificate) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(certificate)) {
            Certificate cert = CertificateFactory.getInstance("X.509").generateCertificate(in);
            store.setCertificateEntry("tavo", cert);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    static String createKey(HttpClient http, String url, String adminKey) throws Exception {
        Map<String, Object> body = Map.of("tier", "enterprise", "org", "bench", "limits", Map.of(
                "requests_per_hour", 1_000_000_000L, "requests_per_day", 10_000_000_000L, "scans_per_hour", 100_000_000L));
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/api/v1/admin/keys"))
                .header("Authorization", "Bearer " + adminKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201) {
            throw new IllegalStateException("creating a key: " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body()).get("key").asText();
    }

    static String createScan(HttpClient http, String url, String key, String repository) throws Exception {
        // The servers run no scan workers: the scan stays queued, its status a cheap read.
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/api/v1/scans"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(Map.of("repository_url", repository)))).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 202) {
            throw new IllegalStateException("creating a scan: " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body()).get("id").asText();
    }
}
