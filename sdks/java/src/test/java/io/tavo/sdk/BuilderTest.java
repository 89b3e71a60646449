package io.tavo.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The builder: the seed's snippet, the environment and the defaults, and misuse. */
class BuilderTest {
    private static String message(Runnable misuse) {
        return assertThrows(IllegalArgumentException.class, misuse::run).getMessage();
    }

    @Test
    void seedSnippetBuildsAClient() {
        TavoClient client = TavoSdk.createClientBuilder("your-key")
                .withMaxConnections(50)
                .withConnectionTimeout(Duration.ofSeconds(10))
                .withReadTimeout(Duration.ofSeconds(30))
                .build();
        assertEquals(50, client.maxConnections());
        assertEquals(1, client.rateLimits().size());
    }

    @Test
    void misuseNamesTheOption() {
        TavoClientBuilder builder = TavoSdk.createClientBuilder("key");
        assertTrue(message(() -> builder.withMaxConnections(0)).contains("maxConnections"));
        assertTrue(message(() -> builder.withMaxConnections(-5)).contains("maxConnections"));
        assertTrue(message(() -> builder.withConnectionTimeout(Duration.ofSeconds(-1))).contains("connectionTimeout"));
        assertTrue(message(() -> builder.withConnectionTimeout(null)).contains("connectionTimeout"));
        assertTrue(message(() -> builder.withReadTimeout(Duration.ofMillis(-1))).contains("readTimeout"));
        assertTrue(message(() -> builder.withReadTimeout(Duration.ZERO)).contains("readTimeout"));
        assertTrue(message(() -> builder.withPoolTimeout(Duration.ofSeconds(-3))).contains("poolTimeout"));
        assertTrue(message(() -> builder.withMaxRetries(-1)).contains("maxRetries"));
        assertTrue(message(() -> builder.withMaxRateLimitWait(Duration.ofSeconds(-1))).contains("maxRateLimitWait"));
        assertTrue(message(() -> builder.withBaseUrl("ftp://example.com")).contains("baseUrl"));
        assertTrue(message(() -> builder.withBaseUrl(null)).contains("baseUrl"));
        assertTrue(message(() -> builder.withExecutor(null)).contains("executor"));
        assertTrue(message(() -> builder.withApiKey("  ")).contains("apiKey"));
        assertTrue(message(() -> TavoSdk.createClientBuilder(null)).contains("apiKey"));
        assertTrue(message(() -> RetryPolicy.builder().maxRetries(-2)).contains("maxRetries"));
        assertTrue(message(() -> new CircuitBreaker(0, Duration.ofSeconds(1))).contains("failureThreshold"));
    }

    @Test
    void settingsNotGivenComeFromTheEnvironment() {
        Map<String, String> env = Map.of("TAVO_API_KEY", "k1, k2", "TAVO_BASE_URL", "https://tavo.example.com/api/v1/");
        TavoClient client = TavoSdk.createClientBuilder().withEnvironment(env::get).build();
        assertEquals("https://tavo.example.com", client.baseUrl());
        assertEquals(2, client.rateLimits().size());
    }

    @Test
    void defaultsAreThePythonSdks() {
        TavoClient client = TavoSdk.createClientBuilder("key").withEnvironment(name -> null).build();
        assertEquals("http://127.0.0.1:8700", client.baseUrl());
        assertEquals(100, client.maxConnections());
        assertEquals(null, client.circuitBreaker());
    }

    @Test
    void noKeyAnywhereIsAnError() {
        String text = message(() -> TavoSdk.createClientBuilder().withEnvironment(name -> null).build());
        assertTrue(text.contains("apiKey") && text.contains("TAVO_API_KEY"), text);
    }

    @Test
    void givenSettingsBeatTheEnvironment() {
        Map<String, String> env = Map.of("TAVO_API_KEY", "env-key", "TAVO_BASE_URL", "http://env:1");
        TavoClient client = TavoSdk.createClientBuilder("mine").withBaseUrl("http://given:2")
                .withEnvironment(env::get).build();
        assertEquals("http://given:2", client.baseUrl());
        assertTrue(client.rateLimits().get(0).keyHint().startsWith("m"));
    }
}
