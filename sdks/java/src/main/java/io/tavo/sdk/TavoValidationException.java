package io.tavo.sdk;

import java.util.Map;

/** The request is not valid (400, 413, 422); details() says what is wrong. */
public class TavoValidationException extends TavoApiException {
    public TavoValidationException(String message, int statusCode, String code, Map<String, Object> details,
                 String requestId, Map<String, String> headers) {
        super(message, statusCode, code, details, requestId, headers);
    }
}
