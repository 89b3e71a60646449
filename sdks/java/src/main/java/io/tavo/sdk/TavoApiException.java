package io.tavo.sdk;

import java.util.Map;

/** The server refused or failed a request; {@link #code()} is its stable upper-case error code. */
public class TavoApiException extends TavoException {
    private final int statusCode;
    private final String code;
    private final Map<String, Object> details;
    private final String requestId;
    private final Map<String, String> headers;

    public TavoApiException(String message, int statusCode, String code, Map<String, Object> details,
                            String requestId, Map<String, String> headers) {
        super(message);
        this.statusCode = statusCode;
        this.code = code == null ? "HTTP_ERROR" : code;
        this.details = details == null ? Map.of() : Map.copyOf(details);
        this.requestId = requestId;
        this.headers = headers == null ? Map.of() : Map.copyOf(headers);
    }

    public int statusCode() { return statusCode; }
    public String code() { return code; }
    public Map<String, Object> details() { return details; }
    /** The server's X-Request-ID for this answer (quote it when reporting a problem), or null. */
    public String requestId() { return requestId; }
    /** The response headers, names in lower case. */
    public Map<String, String> headers() { return headers; }

    @Override
    public String toString() {
        String where = requestId != null ? ", request " + requestId : "";
        return getClass().getSimpleName() + ": " + getMessage() + " (HTTP " + statusCode + " " + code + where + ")";
    }
}
