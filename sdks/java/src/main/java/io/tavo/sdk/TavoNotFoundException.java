package io.tavo.sdk;

import java.util.Map;

/** The resource does not exist or belongs to another organisation (404). */
public class TavoNotFoundException extends TavoApiException {
    public TavoNotFoundException(String message, int statusCode, String code, Map<String, Object> details,
                 String requestId, Map<String, String> headers) {
        super(message, statusCode, code, details, requestId, headers);
    }
}
