package io.tavo.sdk;

/** A successful status with a body that is not the JSON the API promises (not JSON, or another shape). */
public class TavoResponseException extends TavoException {
    private final int statusCode;

    public TavoResponseException(String message, int statusCode, Throwable cause) {
        super(message, cause);
        this.statusCode = statusCode;
    }

    public int statusCode() { return statusCode; }
}
