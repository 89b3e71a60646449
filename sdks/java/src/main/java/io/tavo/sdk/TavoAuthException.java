package io.tavo.sdk;

import java.util.Map;

/** The API key is missing, invalid, expired or lacks the permission (401, 403). */
public class TavoAuthException extends TavoApiException {
    public TavoAuthException(String message, int statusCode, String code, Map<String, Object> details,
                 String requestId, Map<String, String> headers) {
        super(message, statusCode, code, details, requestId, headers);
    }
}
