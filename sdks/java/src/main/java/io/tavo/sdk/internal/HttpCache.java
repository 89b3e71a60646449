package io.tavo.sdk.internal;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.tavo.sdk.Defaults;
import io.tavo.sdk.Response;

/**
 * A private HTTP cache of GET responses, in memory: freshness from Cache-Control max-age (or
 * Expires), revalidation with If-None-Match / If-Modified-Since when stale or marked no-cache, and a
 * 304 answered from the stored body. Responses carrying neither freshness nor a validator can never
 * be reused and are not stored. Entries are kept least-recently-used first out. Thread-safe.
 *
 * <p>Each entry also keeps the models decoded from its body, so repeated calls answered from the
 * cache return the same immutable object instead of decoding again.
 */
public final class HttpCache {
    private static final Pattern MAX_AGE = Pattern.compile("(?:^|[,\\s])max-age\\s*=\\s*\"?(\\d+)");

    /** One stored response. */
    public static final class Entry {
        final int status;
        volatile Map<String, String> headers;
        final byte[] body;
        volatile long storedAt;
        volatile long freshForNanos;
        final Map<Class<?>, Object> decoded = new ConcurrentHashMap<>();
        volatile long lastUsed;

        Entry(int status, Map<String, String> headers, byte[] body) {
            this.status = status;
            this.body = body;
            refresh(headers);
        }

        void refresh(Map<String, String> newHeaders) {
            headers = Map.copyOf(newHeaders);
            storedAt = System.nanoTime();
            freshForNanos = freshness(headers);
        }

        boolean fresh() {
            return System.nanoTime() - storedAt < freshForNanos;
        }

        Map<String, String> validators() {
            Map<String, String> conditional = new HashMap<>();
            String etag = headers.get("etag");
            if (etag != null) {
                conditional.put("If-None-Match", etag);
            }
            String modified = headers.get("last-modified");
            if (modified != null) {
                conditional.put("If-Modified-Since", modified);
            }
            return conditional;
        }

        Response response() {
            return new Response(status, headers, body, "HTTP/1.1", true, this);
        }

        /** The model decoded from this entry's body, decoding it once. */
        @SuppressWarnings("unchecked")
        public <T> T decoded(Class<T> model, Function<byte[], T> decode) {
            return (T) decoded.computeIfAbsent(model, m -> decode.apply(body));
        }
    }

    /** What a fetch came to: the response, and whether the cache answered it (after a 304 or not). */
    public record Outcome(Response response, boolean hit, boolean revalidated) {}

    private final int maxEntries;
    // Looked up without a lock on every cacheable GET; each entry keeps when it was last used, and a
    // store over the bound evicts the least recently used (a scan, on the rare store that needs it).
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong uses = new AtomicLong();

    public HttpCache() { this(Defaults.CACHE_MAX_ENTRIES); }

    public HttpCache(int maxEntries) { this.maxEntries = maxEntries; }

    /** A GET of {@code url}: from the cache when allowed, else through {@code send(extra headers)}. */
    public CompletableFuture<Outcome> fetch(String url, Function<Map<String, String>, CompletableFuture<Response>> send) {
        Entry entry = entries.get(url);
        if (entry != null) {
            entry.lastUsed = uses.incrementAndGet();
        }
        if (entry == null) {
            return send.apply(Map.of()).thenApply(response -> {
                // Most API answers can never be reused: they are not offered to the cache at all.
                if (response.statusCode() == 200 && worthStoring(response.headers())) {
                    store(url, response);
                }
                return new Outcome(response, false, false);
            });
        }
        if (entry.fresh()) {
            return CompletableFuture.completedFuture(new Outcome(entry.response(), true, false));
        }
        Map<String, String> conditional = entry.validators();
        return send.apply(conditional).thenApply(response -> {
            if (response.statusCode() == 304 && !conditional.isEmpty()) {
                Map<String, String> merged = new HashMap<>(entry.headers);
                response.headers().forEach((name, value) -> {
                    if (!name.equals("content-length") && !name.equals("content-encoding")) {
                        merged.put(name, value);
                    }
                });
                entry.refresh(merged);
                return new Outcome(entry.response(), true, true);
            }
            store(url, response);
            return new Outcome(response, false, false);
        });
    }

    private void store(String url, Response response) {
        if (response.statusCode() != 200 || !worthStoring(response.headers())
                || response.body().length > Defaults.CACHE_MAX_BODY_BYTES) {
            if (response.isSuccess()) {
                entries.remove(url);
            }
            return;
        }
        Map<String, String> headers = new HashMap<>(response.headers());
        // The stored body is decoded: headers about its transfer no longer apply.
        headers.remove("content-encoding");
        headers.remove("content-length");
        headers.remove("transfer-encoding");
        Entry entry = new Entry(response.statusCode(), headers, response.body());
        entry.lastUsed = uses.incrementAndGet();
        entries.put(url, entry);
        if (entries.size() > maxEntries) {
            synchronized (this) {
                while (entries.size() > maxEntries) {
                    entries.entrySet().stream().min(java.util.Comparator.comparingLong(e -> e.getValue().lastUsed))
                            .ifPresent(oldest -> entries.remove(oldest.getKey(), oldest.getValue()));
                }
            }
        }
    }

    /** Whether a response could ever be reused: it says how long it stays fresh, or has a validator. */
    static boolean worthStoring(Map<String, String> headers) {
        String cacheControl = headers.getOrDefault("cache-control", "").toLowerCase(Locale.ROOT);
        if (cacheControl.contains("no-store") || "*".equals(headers.get("vary"))) {
            return false;
        }
        return cacheControl.contains("max-age") || headers.containsKey("expires") || headers.containsKey("etag")
                || headers.containsKey("last-modified");
    }

    /** How long a response stays fresh (0: revalidate before every use). */
    static long freshness(Map<String, String> headers) {
        String cacheControl = headers.getOrDefault("cache-control", "").toLowerCase(Locale.ROOT);
        if (cacheControl.contains("no-cache")) {
            return 0;
        }
        long age = 0;
        try {
            age = Long.parseLong(headers.getOrDefault("age", "0").strip());
        } catch (NumberFormatException ignored) {
            // An unreadable Age is no age.
        }
        Matcher maxAge = MAX_AGE.matcher(cacheControl);
        if (maxAge.find()) {
            return Math.max(0, Long.parseLong(maxAge.group(1)) - age) * 1_000_000_000L;
        }
        String expires = headers.get("expires");
        if (expires != null) {
            try {
                long until = ZonedDateTime.parse(expires, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
                String date = headers.get("date");
                long now = date != null
                        ? ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli()
                        : System.currentTimeMillis();
                return Math.max(0, until - now) * 1_000_000L;
            } catch (DateTimeParseException expired) {
                return 0;
            }
        }
        return 0;
    }

    public int size() {
        return entries.size();
    }

    public void clear() {
        entries.clear();
    }
}
