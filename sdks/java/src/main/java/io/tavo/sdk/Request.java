package io.tavo.sdk;

import java.time.Duration;
import java.util.Map;

/**
 * One HTTP request as it goes on the wire (what request hooks see). Header names are as sent;
 * {@code body} is null for requests without one (and gzip-compressed when Content-Encoding says so).
 */
public record Request(String method, String url, Map<String, String> headers, byte[] body, Duration timeout) {
    public Request {
        headers = Map.copyOf(headers);
    }

    @Override
    public String toString() {
        return "Request[" + method + " " + url + "]";
    }
}
