package io.tavo.sdk.internal;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import io.tavo.sdk.Response;
import io.tavo.sdk.TavoApiException;
import io.tavo.sdk.TavoAuthException;
import io.tavo.sdk.TavoConflictException;
import io.tavo.sdk.TavoNotFoundException;
import io.tavo.sdk.TavoRateLimitException;
import io.tavo.sdk.TavoServerException;
import io.tavo.sdk.TavoValidationException;

/** The exception for a non-2xx response, read from the error envelope when there is one. */
public final class Errors {
    private Errors() {}

    @SuppressWarnings("unchecked")
    public static TavoApiException forResponse(Response response) {
        int status = response.statusCode();
        String code = "HTTP_ERROR";
        String message = "the server answered HTTP " + status;
        Map<String, Object> details = Map.of();
        try {
            JsonNode body = response.body().length == 0 ? null : Json.parse(response.body());
            JsonNode envelope = body != null && body.isObject() ? body.get("error") : null;
            if (envelope != null && envelope.isObject()) {
                code = textOr(envelope.get("code"), code);
                message = textOr(envelope.get("message"), "HTTP " + status);
                Object raw = Json.plain(envelope.get("details"));
                details = raw instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
            }
        } catch (java.io.IOException | RuntimeException notJson) {
            // A body that is not an envelope (a proxy's error page): the status says it all.
        }
        Map<String, String> headers = response.headers();
        String requestId = headers.get("x-request-id");
        if (status == 429) {
            return new TavoRateLimitException(message, status, code, details, requestId, headers,
                    ServerWait.of(headers), intOf(details.getOrDefault("limit", headers.get("x-ratelimit-limit"))),
                    intOf(details.getOrDefault("remaining", headers.get("x-ratelimit-remaining"))),
                    longOf(details.getOrDefault("reset", headers.get("x-ratelimit-reset"))));
        }
        return switch (status) {
            case 400, 413, 422 -> new TavoValidationException(message, status, code, details, requestId, headers);
            case 401, 403 -> new TavoAuthException(message, status, code, details, requestId, headers);
            case 404 -> new TavoNotFoundException(message, status, code, details, requestId, headers);
            case 409 -> new TavoConflictException(message, status, code, details, requestId, headers);
            default -> status >= 500
                    ? new TavoServerException(message, status, code, details, requestId, headers)
                    : new TavoApiException(message, status, code, details, requestId, headers);
        };
    }

    private static String textOr(JsonNode node, String fallback) {
        return node != null && node.isTextual() && !node.textValue().isEmpty() ? node.textValue() : fallback;
    }

    private static Long longOf(Object value) {
        if (value instanceof Number number) {
            return number.longValue();
        }
        if (value instanceof String text) {
            try {
                return Long.parseLong(text.strip());
            } catch (NumberFormatException error) {
                return null;
            }
        }
        return null;
    }

    private static Integer intOf(Object value) {
        Long parsed = longOf(value);
        return parsed == null ? null : (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, parsed));
    }
}
