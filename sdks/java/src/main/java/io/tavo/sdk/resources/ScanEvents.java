package io.tavo.sdk.resources;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

import com.fasterxml.jackson.databind.JsonNode;

import io.tavo.sdk.TavoConnectionException;
import io.tavo.sdk.TavoNotFoundException;
import io.tavo.sdk.TavoResponseException;
import io.tavo.sdk.TavoServerException;
import io.tavo.sdk.TavoTimeoutException;
import io.tavo.sdk.internal.ApiClient;
import io.tavo.sdk.internal.ApiRequest;
import io.tavo.sdk.internal.Json;
import io.tavo.sdk.internal.SseDecoder;
import io.tavo.sdk.models.ScanStatus;

/**
 * Follows one scan's event stream ({@code GET /scans/{id}/events}, Server-Sent Events) until a
 * status event says it finished. {@link #follow()} gives that status, or null when the stream is not
 * available, breaks, ends early or goes quiet for longer than the server's keep-alive allows: the
 * caller then polls. A deleted scan, or an answer such as 401/404, is an error.
 */
final class ScanEvents implements Flow.Subscriber<String> {
    /** The server sends a keep-alive comment every 15 s: a stream quiet for this long is dead. */
    static final Duration IDLE_LIMIT = Duration.ofSeconds(35);

    private final ApiClient api;
    private final String scanId;
    private final SseDecoder decoder = new SseDecoder();
    private final CompletableFuture<ScanStatus> result = new CompletableFuture<>();
    private volatile Flow.Subscription subscription;
    private volatile long lastLine = System.nanoTime();

    ScanEvents(ApiClient api, String scanId) {
        this.api = api;
        this.scanId = scanId;
    }

    CompletableFuture<ScanStatus> follow() {
        ApiRequest request = ApiRequest.get(ApiRequest.path("scans", scanId, "events")).uncached()
                .withTimeout(api.config().readTimeout().compareTo(Duration.ofSeconds(30)) > 0
                        ? api.config().readTimeout() : Duration.ofSeconds(30));
        CompletableFuture<Void> stream;
        try {
            stream = api.stream(request, this);
        } catch (RuntimeException error) {
            return fallbackOrFail(error);
        }
        stream.whenComplete((ignored, error) -> {
            if (error == null) {
                result.complete(null);
                return;
            }
            RuntimeException cause = ApiClient.unwrap(error);
            if (isStreamFailure(cause)) {
                result.complete(null);
            } else {
                result.completeExceptionally(cause);
            }
        });
        watchIdle();
        return result;
    }

    private CompletableFuture<ScanStatus> fallbackOrFail(RuntimeException error) {
        return isStreamFailure(error) ? CompletableFuture.completedFuture(null) : CompletableFuture.failedFuture(error);
    }

    private static boolean isStreamFailure(RuntimeException error) {
        return error instanceof TavoConnectionException || error instanceof TavoTimeoutException
                || error instanceof TavoServerException || error instanceof TavoResponseException;
    }

    private void watchIdle() {
        api.after(IDLE_LIMIT).thenRun(() -> {
            if (result.isDone()) {
                return;
            }
            if (System.nanoTime() - lastLine > IDLE_LIMIT.toNanos()) {
                close();
                result.complete(null);
            } else {
                watchIdle();
            }
        });
    }

    /** Stops reading the stream (it is closed). */
    void close() {
        Flow.Subscription current = subscription;
        if (current != null) {
            current.cancel();
        }
    }

    @Override
    public void onSubscribe(Flow.Subscription value) {
        subscription = value;
        if (result.isDone()) {
            value.cancel();
        } else {
            value.request(Long.MAX_VALUE);
        }
    }

    @Override
    public void onNext(String line) {
        lastLine = System.nanoTime();
        if (result.isDone()) {
            return;
        }
        SseDecoder.Event event = decoder.feed(line);
        if (event == null) {
            return;
        }
        try {
            if (event.event().equals("deleted")) {
                result.completeExceptionally(new TavoNotFoundException("scan " + scanId + " was deleted while waiting for it",
                        404, "NOT_FOUND", null, null, null));
            } else if (event.event().equals("status")) {
                JsonNode data = Json.parse(event.data().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                ScanStatus status = Json.read(data, ScanStatus.class);
                if (status.finished()) {
                    result.complete(status);
                }
            }
        } catch (IOException | RuntimeException malformed) {
            // An unreadable event: stop following; polling finds the status.
            result.complete(null);
        }
        if (result.isDone()) {
            close();
        }
    }

    @Override
    public void onError(Throwable error) {
        // Reported through the stream's future.
    }

    @Override
    public void onComplete() {
        // The stream's future completes too.
    }
}
