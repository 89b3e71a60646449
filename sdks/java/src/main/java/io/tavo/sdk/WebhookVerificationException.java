package io.tavo.sdk;

/** A webhook delivery is not a genuine, fresh one from the server holding the secret. */
public class WebhookVerificationException extends TavoException {
    public WebhookVerificationException(String message) {
        super(message);
    }
}
