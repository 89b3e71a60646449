package io.tavo.sdk;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.Predicate;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * An HTTP proxy in front of the real server that records every request and, where a rule says so,
 * answers in its place (a 503, a 429, a malformed body) or rewrites the server's answer. Everything
 * else reaches the real server unchanged.
 */
final class FaultProxy implements AutoCloseable {
    /** One request as the proxy received it (header names in lower case). */
    record Seen(String method, String target, Map<String, String> headers, byte[] body) {
        String path() {
            int query = target.indexOf('?');
            return query < 0 ? target : target.substring(0, query);
        }
    }

    /** A made-up answer. */
    record Fake(int status, Map<String, String> headers, String body) {}

    private record Rule(Predicate<Seen> when, Function<Seen, Fake> answer, int[] left) {}

    private static final Set<String> HOP = Set.of("host", "connection", "content-length", "expect", "upgrade",
            "http2-settings", "transfer-encoding", "keep-alive");

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final String upstream;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final List<Function<HttpResponse<byte[]>, Map<String, String>>> rewrites = new CopyOnWriteArrayList<>();
    final List<Seen> seen = new CopyOnWriteArrayList<>();

    FaultProxy(String upstream) throws IOException {
        this.upstream = upstream;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Answers the next {@code times} requests matching {@code when} with {@code answer}. */
    FaultProxy fake(Predicate<Seen> when, int times, Function<Seen, Fake> answer) {
        rules.add(new Rule(when, answer, new int[] {times}));
        return this;
    }

    /** Replaces headers of the server's answers (a null value removes the header). */
    FaultProxy rewrite(Function<HttpResponse<byte[]>, Map<String, String>> headers) {
        rewrites.add(headers);
        return this;
    }

    static Predicate<Seen> request(String method, String pathSuffix) {
        return seen -> seen.method().equals(method) && seen.path().endsWith(pathSuffix);
    }

    List<Seen> seen(String method, String pathSuffix) {
        return seen.stream().filter(request(method, pathSuffix)).toList();
    }

    private Fake ruleFor(Seen request) {
        for (Rule rule : rules) {
            synchronized (rule) {
                if (rule.left()[0] > 0 && rule.when().test(request)) {
                    rule.left()[0]--;
                    return rule.answer().apply(request);
                }
            }
        }
        return null;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Map<String, String> headers = new HashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), values.get(0)));
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            Seen request = new Seen(exchange.getRequestMethod(), exchange.getRequestURI().toString(), headers, body);
            seen.add(request);
            Fake fake = ruleFor(request);
            if (fake != null) {
                fake.headers().forEach(exchange.getResponseHeaders()::set);
                reply(exchange, fake.status(), fake.body().getBytes(StandardCharsets.UTF_8));
                return;
            }
            forward(exchange, request);
        } catch (InterruptedException error) {
            Thread.currentThread().interrupt();
        }
    }

    private void forward(HttpExchange exchange, Seen request) throws IOException, InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(upstream + request.target()));
        request.headers().forEach((name, value) -> {
            if (!HOP.contains(name)) {
                builder.header(name, value);
            }
        });
        builder.method(request.method(), request.body().length == 0
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(request.body()));
        HttpResponse<byte[]> response = http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
        Map<String, String> out = new HashMap<>();
        response.headers().map().forEach((name, values) -> {
            if (!HOP.contains(name.toLowerCase(Locale.ROOT))) {
                out.put(name.toLowerCase(Locale.ROOT), String.join(", ", values));
            }
        });
        for (var rewrite : rewrites) {
            rewrite.apply(response).forEach((name, value) -> {
                if (value == null) {
                    out.remove(name);
                } else {
                    out.put(name, value);
                }
            });
        }
        out.forEach(exchange.getResponseHeaders()::set);
        reply(exchange, response.statusCode(), response.body());
    }

    private static void reply(HttpExchange exchange, int status, byte[] body) throws IOException {
        boolean empty = body.length == 0 || status == 304 || status == 204;
        exchange.sendResponseHeaders(status, empty ? -1 : body.length);
        if (!empty) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }

    static List<String> idempotencyKeys(List<Seen> requests) {
        List<String> keys = new ArrayList<>();
        requests.forEach(r -> keys.add(r.headers().get("idempotency-key")));
        return keys;
    }
}
