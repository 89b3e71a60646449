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

    /** The key a client for accepting an invitation sends (that route takes none; the server ignores it). */
    private static final String NO_KEY = "invitation";

    /**
     * Accepts an invitation: sets the invited user's password and returns them with their first
     * key (shown once). No API key is needed (the token is the credential); the server is
     * {@code baseUrl}, or TAVO_BASE_URL / the default when null. Not retried: an invitation is
     * spent by the first acceptance the server sees.
     */
    public static io.tavo.sdk.models.AcceptedInvitation acceptInvitation(String token, String password, String name,
                                                                        String baseUrl) {
        TavoClientBuilder builder = new TavoClientBuilder().withApiKey(NO_KEY).withMaxRetries(0).withCache(false);
        if (baseUrl != null) {
            builder.withBaseUrl(baseUrl);
        }
        try (TavoClient client = builder.build()) {
            return client.users().acceptInvitation(token, password, name);
        }
    }

    /** {@link #acceptInvitation} as a CompletableFuture. */
    public static java.util.concurrent.CompletableFuture<io.tavo.sdk.models.AcceptedInvitation> acceptInvitationAsync(
            String token, String password, String name, String baseUrl) {
        TavoClientBuilder builder = new TavoClientBuilder().withApiKey(NO_KEY).withMaxRetries(0).withCache(false);
        if (baseUrl != null) {
            builder.withBaseUrl(baseUrl);
        }
        TavoClient client = builder.build();
        return client.users().acceptInvitationAsync(token, password, name).whenComplete((value, error) -> client.close());
    }

    /** A client with every setting from the environment or the defaults. */
    public static TavoClient createClient() {
        return new TavoClientBuilder().build();
    }
}
