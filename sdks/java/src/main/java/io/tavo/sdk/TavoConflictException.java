package io.tavo.sdk;

import java.util.Map;

/** The request conflicts with the resource's state (409), e.g. an Idempotency-Key reused with another body. */
public class TavoConflictException extends TavoApiException {
    public TavoConflictException(String message, int statusCode, String code, Map<String, Object> details,
                 String requestId, Map<String, String> headers) {
        super(message, statusCode, code, details, requestId, headers);
    }
}
