package io.tavo.sdk;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.databind.JsonNode;

import io.tavo.sdk.internal.Json;
import io.tavo.sdk.models.WebhookEvent;

/**
 * Verifies the webhooks a Tavo server sends (for the program that receives them). The signature is
 * HMAC-SHA256, keyed with the webhook's secret, over {@code "{timestamp}." + body} (the raw bytes
 * received), sent as {@code Tavo-Signature: v1=<hex>} with {@code Tavo-Timestamp}; a timestamp more
 * than the tolerance from now is refused (a replayed delivery). Retries and redeliveries carry the
 * same {@code Tavo-Event-Id} (the event's id): deduplicate on it.
 *
 * <pre>{@code
 * WebhookEvent event = WebhookVerifier.verify(body, headers, secret);   // WebhookVerificationException otherwise
 * }</pre>
 */
public final class WebhookVerifier {
    public static final long DEFAULT_TOLERANCE_SECONDS = 300;

    private WebhookVerifier() {}

    public static WebhookEvent verify(byte[] body, Map<String, String> headers, String secret) {
        return verify(body, headers, secret, DEFAULT_TOLERANCE_SECONDS, System.currentTimeMillis() / 1000.0);
    }

    /** The event of a verified delivery; WebhookVerificationException otherwise. */
    public static WebhookEvent verify(byte[] body, Map<String, String> headers, String secret, long toleranceSeconds,
                                      double nowEpochSeconds) {
        if (body == null || headers == null || secret == null) {
            throw new IllegalArgumentException("body, headers and secret must not be null");
        }
        String stamp = header(headers, "Tavo-Timestamp");
        if (stamp.isEmpty() || !stamp.chars().allMatch(Character::isDigit) || stamp.length() > 18) {
            throw new WebhookVerificationException("Tavo-Timestamp is not a unix time");
        }
        if (Math.abs(nowEpochSeconds - Long.parseLong(stamp)) > toleranceSeconds) {
            throw new WebhookVerificationException("Tavo-Timestamp is too far from now (a replay?)");
        }
        byte[] expected = hmac(secret, stamp, body);
        boolean matches = false;
        for (String part : header(headers, "Tavo-Signature").split(",")) {
            String candidate = part.strip();
            if (candidate.startsWith("v1=")) {
                byte[] offered = candidate.substring(3).getBytes(StandardCharsets.US_ASCII);
                matches |= MessageDigest.isEqual(expected, offered);
            }
        }
        if (!matches) {
            throw new WebhookVerificationException("the signature does not match");
        }
        JsonNode document;
        try {
            document = Json.parse(body);
        } catch (java.io.IOException error) {
            throw new WebhookVerificationException("the body is not JSON");
        }
        try {
            return Json.read(document, WebhookEvent.class);
        } catch (Json.ShapeException error) {
            throw new WebhookVerificationException("the body is not a webhook event: " + error.getMessage());
        }
    }

    private static byte[] hmac(String secret, String stamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update(stamp.getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) '.');
            return HexFormat.of().formatHex(mac.doFinal(body)).getBytes(StandardCharsets.US_ASCII);
        } catch (NoSuchAlgorithmException | InvalidKeyException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static String header(Map<String, String> headers, String name) {
        for (Map.Entry<String, String> entry : headers.entrySet()) {
            if (entry.getKey().equalsIgnoreCase(name)) {
                return entry.getValue();
            }
        }
        throw new WebhookVerificationException("missing " + name + " header");
    }
}
