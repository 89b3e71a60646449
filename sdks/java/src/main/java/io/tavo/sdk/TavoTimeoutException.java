package io.tavo.sdk;

/** Connecting, waiting for a free connection, reading, or waiting for a scan took too long. */
public class TavoTimeoutException extends TavoException {
    public TavoTimeoutException(String message) {
        super(message);
    }

    public TavoTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
