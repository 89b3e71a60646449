package io.tavo.sdk;

import java.util.Map;

/** The server failed (5xx), after the retries allowed for it. */
public class TavoServerException extends TavoApiException {
    public TavoServerException(String message, int statusCode, String code, Map<String, Object> details,
                 String requestId, Map<String, String> headers) {
        super(message, statusCode, code, details, requestId, headers);
    }
}
