package io.tavo.sdk;

/** Entry point, as in the seed's performance guide. */
public final class TavoSdk {
    private TavoSdk() {}

    /** The SDK's version. */
    public static final String VERSION = "0.1.0";

    /**
     * A builder for a client with this API key (several keys: separate them with commas); other
     * settings from the environment (TAVO_BASE_URL) or the defaults. A null key is an
     * IllegalArgumentException: use {@link #createClientBuilder()} to read TAVO_API_KEY.
     */
    public static TavoClientBuilder createClientBuilder(String apiKey) {
        if (apiKey == null) {
            throw new IllegalArgumentException(
                    "apiKey must not be null (use createClientBuilder() to read " + Defaults.API_KEY_ENV + ")");
        }
        return new TavoClientBuilder().withApiKey(apiKey);
    }

    /** A builder whose API key comes from TAVO_API_KEY unless one is set on it. */
    public static TavoClientBuilder createClientBuilder() {
        return new TavoClientBuilder();
    }

    /** A client with every setting from the environment or the defaults. */
    public static TavoClient createClient() {
        return new TavoClientBuilder().build();
    }
}
