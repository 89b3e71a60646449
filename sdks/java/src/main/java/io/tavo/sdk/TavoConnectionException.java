package io.tavo.sdk;

/** The server could not be reached, or the connection broke, after the allowed retries. */
public class TavoConnectionException extends TavoException {
    public TavoConnectionException(String message, Throwable cause) {
        super(message, cause);
    }
}
