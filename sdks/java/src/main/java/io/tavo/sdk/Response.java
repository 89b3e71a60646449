package io.tavo.sdk;

import java.util.Map;

/**
 * One HTTP response (what response hooks see): header names in lower case, the body decoded from
 * any Content-Encoding. {@code fromCache} is true when it was answered by the client's HTTP cache.
 */
public record Response(int statusCode, Map<String, String> headers, byte[] body, String httpVersion,
                       boolean fromCache, Object cacheEntry) {
    public Response {
        headers = Map.copyOf(headers);
        body = body == null ? new byte[0] : body;
    }

    public Response(int statusCode, Map<String, String> headers, byte[] body, String httpVersion) {
        this(statusCode, headers, body, httpVersion, false, null);
    }

    public boolean isSuccess() {
        return statusCode >= 200 && statusCode < 300;
    }

    /** A header by its name in any case, or null. */
    public String header(String name) {
        return headers.get(name.toLowerCase(java.util.Locale.ROOT));
    }

    @Override
    public String toString() {
        return "Response[" + statusCode + " " + httpVersion + (fromCache ? " (cached)" : "") + ", " + body.length + " bytes]";
    }
}
