package io.tavo.sdk.internal;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

import io.tavo.sdk.Defaults;

/** What a resource method asks for; the client turns it into HTTP. Immutable (withers copy). */
public record ApiRequest(String method, String path, Map<String, Object> query, Object json, byte[] body,
                         String contentType, String idempotencyKey, String scope, boolean cacheable,
                         Duration timeout) {
    /** Rate-limit kind of scan-creating requests (their own hourly budget). */
    public static final String SCAN_CREATION = "scan creation";

    public static ApiRequest get(String path) {
        return new ApiRequest("GET", path, Map.of(), null, null, null, null, null, true, null);
    }

    public static ApiRequest post(String path, Object json) {
        return new ApiRequest("POST", path, Map.of(), json, null, null, null, null, true, null);
    }

    public static ApiRequest delete(String path) {
        return new ApiRequest("DELETE", path, Map.of(), null, null, null, null, null, true, null);
    }

    public ApiRequest withQuery(Map<String, ?> values) {
        return new ApiRequest(method, path, new LinkedHashMap<>(values), json, body, contentType, idempotencyKey,
                scope, cacheable, timeout);
    }

    public ApiRequest withBody(byte[] content, String type) {
        return new ApiRequest(method, path, query, null, content, type, idempotencyKey, scope, cacheable, timeout);
    }

    public ApiRequest withIdempotencyKey(String key) {
        return new ApiRequest(method, path, query, json, body, contentType, key, scope, cacheable, timeout);
    }

    public ApiRequest withScope(String kind) {
        return new ApiRequest(method, path, query, json, body, contentType, idempotencyKey, kind, cacheable, timeout);
    }

    public ApiRequest uncached() {
        return new ApiRequest(method, path, query, json, body, contentType, idempotencyKey, scope, false, timeout);
    }

    public ApiRequest withTimeout(Duration value) {
        return new ApiRequest(method, path, query, json, body, contentType, idempotencyKey, scope, cacheable, value);
    }

    /** An API path from segments, each percent-encoded (ids and URLs are safe in it). */
    public static String path(String... segments) {
        StringBuilder out = new StringBuilder(Defaults.API_PREFIX);
        for (String segment : segments) {
            out.append('/').append(segment(segment));
        }
        return out.toString();
    }

    private static String segment(String segment) {
        if (segment == null || segment.isEmpty()) {
            throw new IllegalArgumentException("an id in the path must not be null or empty");
        }
        if (segment.chars().allMatch(c -> c == '.')) {
            // "." and ".." would be read as relative path steps.
            return segment.replace(".", "%2E");
        }
        if (plain(segment)) {
            return segment;
        }
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Only unreserved characters ([A-Za-z0-9_.~-]): nothing to encode. */
    private static boolean plain(String segment) {
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            boolean unreserved = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '_' || c == '.' || c == '~' || c == '-';
            if (!unreserved) {
                return false;
            }
        }
        return true;
    }

    /** The query string of {@code query} (without '?'): collections repeat their name, nulls are left out. */
    public String queryString() {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, Object> entry : query.entrySet()) {
            Object value = entry.getValue();
            Iterable<?> values = value instanceof Collection<?> many ? many : java.util.Collections.singletonList(value);
            for (Object item : values) {
                if (item == null) {
                    continue;
                }
                if (out.length() > 0) {
                    out.append('&');
                }
                out.append(URLEncoder.encode(entry.getKey(), StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(String.valueOf(item), StandardCharsets.UTF_8));
            }
        }
        return out.toString();
    }
}
