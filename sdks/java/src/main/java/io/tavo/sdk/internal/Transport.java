package io.tavo.sdk.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;

import io.tavo.sdk.Request;
import io.tavo.sdk.Response;
import io.tavo.sdk.TavoConnectionException;
import io.tavo.sdk.TavoException;
import io.tavo.sdk.TavoTimeoutException;

/**
 * The wire: the JDK's HttpClient (HTTP/2 where the server speaks it: ALPN over TLS, an h2c upgrade
 * offer over plain http; HTTP/1.1 otherwise), with every request holding a permit of the
 * {@link ConnectionLimiter} until its response is read. Errors come out as Tavo exceptions.
 */
public final class Transport {
    /**
     * Where the JDK client's sendAsync would start a thread per response: it hands each completion
     * to CompletableFuture's default executor, a new thread per task when the common pool has a
     * single thread (machines with two cores). There async calls are sent with the blocking send
     * on these reused threads instead (as many as requests on the wire: the limiter bounds them).
     */
    private static final boolean THREAD_PER_COMPLETION = ForkJoinPool.getCommonPoolParallelism() <= 1;
    private static final Executor SENDERS = Executors.newCachedThreadPool(new ThreadFactory() {
        private final AtomicInteger count = new AtomicInteger();

        @Override
        public Thread newThread(Runnable task) {
            Thread thread = new Thread(task, "tavo-sdk-sender-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        }
    });

    private final HttpClient http;
    private final ConnectionLimiter limiter;
    private final boolean sendOnOwnThreads;

    public Transport(HttpClient http, ConnectionLimiter limiter) {
        this(http, limiter, THREAD_PER_COMPLETION);
    }

    /** {@code sendOnOwnThreads}: async sends use the blocking send on the SDK's threads (see above). */
    public Transport(HttpClient http, ConnectionLimiter limiter, boolean sendOnOwnThreads) {
        this.http = http;
        this.limiter = limiter;
        this.sendOnOwnThreads = sendOnOwnThreads;
    }

    public HttpClient httpClient() { return http; }

    public ConnectionLimiter limiter() { return limiter; }

    private static HttpRequest toHttp(Request request) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(request.url()));
        if (request.timeout() != null) {
            builder.timeout(request.timeout());
        }
        request.headers().forEach(builder::header);
        HttpRequest.BodyPublisher body = request.body() == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(request.body());
        return builder.method(request.method(), body).build();
    }

    /** The whole response; the permit is held until its body is read. */
    public CompletableFuture<Response> send(Request request) {
        return send(request, false);
    }

    /**
     * The whole response; with {@code blocking}, sent and read in this thread (waiting here for a
     * permit too), the future returned complete.
     */
    public CompletableFuture<Response> send(Request request, boolean blocking) {
        HttpRequest wire = toHttp(request);
        if (blocking) {
            return sendHere(wire, request);
        }
        if (sendOnOwnThreads) {
            return limiter.acquire().thenComposeAsync(permit -> sendHolding(wire, request), SENDERS);
        }
        return limiter.acquire().thenCompose(permit -> {
            CompletableFuture<HttpResponse<byte[]>> sent;
            try {
                sent = http.sendAsync(wire, HttpResponse.BodyHandlers.ofByteArray());
            } catch (RuntimeException error) {
                limiter.release();
                throw error;
            }
            return sent.handle((response, error) -> {
                limiter.release();
                if (error != null) {
                    throw translate(error, request);
                }
                return toResponse(response.statusCode(), response.headers().map(), response.body(), response.version());
            });
        });
    }

    private CompletableFuture<Response> sendHere(HttpRequest wire, Request request) {
        CompletableFuture<Void> permit = limiter.acquire();
        try {
            permit.get();
        } catch (InterruptedException interrupted) {
            if (!permit.cancel(false)) {
                limiter.release(); // handed over meanwhile
            }
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new TavoException("interrupted while waiting for a connection", interrupted));
        } catch (java.util.concurrent.ExecutionException failed) {
            return CompletableFuture.failedFuture(translate(failed.getCause(), request));
        }
        return sendHolding(wire, request);
    }

    /** The blocking send, in this thread, holding a permit (given back here). */
    private CompletableFuture<Response> sendHolding(HttpRequest wire, Request request) {
        HttpResponse<byte[]> response;
        try {
            response = http.send(wire, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new TavoException(request.method() + " " + request.url()
                    + " was interrupted", interrupted));
        } catch (IOException | RuntimeException error) {
            return CompletableFuture.failedFuture(translate(error, request));
        } finally {
            limiter.release();
        }
        try {
            return CompletableFuture.completedFuture(
                    toResponse(response.statusCode(), response.headers().map(), response.body(), response.version()));
        } catch (RuntimeException error) {
            return CompletableFuture.failedFuture(error);
        }
    }

    /**
     * A streamed GET: {@code onHead} gets the status and headers; a 2xx body goes line by line to
     * {@code lines}, any other body is read whole and given to {@code onError}. Completes when the
     * stream ends (or fails); the permit is held until then.
     */
    public CompletableFuture<Void> stream(Request request, Flow.Subscriber<String> lines,
                                          java.util.function.Consumer<Response> onHead) {
        HttpRequest wire = toHttp(request);
        return limiter.acquire().thenCompose(permit -> {
            // Cancelling a streamed body need not complete the client's future: the permit goes
            // back at whichever comes first, the cancel or the end.
            AtomicBoolean held = new AtomicBoolean(true);
            Runnable release = () -> {
                if (held.compareAndSet(true, false)) {
                    limiter.release();
                }
            };
            Flow.Subscriber<String> releasing = new ReleasingSubscriber(lines, release);
            HttpResponse.BodyHandler<Void> handler = info -> {
                Map<String, String> headers = lowerCase(info.headers().map());
                if (info.statusCode() >= 200 && info.statusCode() < 300) {
                    onHead.accept(new Response(info.statusCode(), headers, null, version(info.version())));
                    return HttpResponse.BodySubscribers.fromLineSubscriber(releasing);
                }
                return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofByteArray(), body -> {
                    onHead.accept(toResponse(info.statusCode(), info.headers().map(), body, info.version()));
                    return null;
                });
            };
            CompletableFuture<HttpResponse<Void>> sent;
            try {
                sent = http.sendAsync(wire, handler);
            } catch (RuntimeException error) {
                release.run();
                throw error;
            }
            return sent.handle((response, error) -> {
                release.run();
                if (error != null) {
                    throw translate(error, request);
                }
                return null;
            });
        });
    }

    /** Passes lines through, and runs {@code onCancel} when the reader cancels. */
    private static final class ReleasingSubscriber implements Flow.Subscriber<String> {
        private final Flow.Subscriber<String> target;
        private final Runnable onCancel;

        ReleasingSubscriber(Flow.Subscriber<String> target, Runnable onCancel) {
            this.target = target;
            this.onCancel = onCancel;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            target.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) { subscription.request(n); }

                @Override
                public void cancel() {
                    subscription.cancel();
                    onCancel.run();
                }
            });
        }

        @Override
        public void onNext(String item) { target.onNext(item); }

        @Override
        public void onError(Throwable error) { target.onError(error); }

        @Override
        public void onComplete() { target.onComplete(); }
    }

    static Response toResponse(int status, Map<String, List<String>> raw, byte[] body, HttpClient.Version version) {
        Map<String, String> headers = lowerCase(raw);
        String encoding = headers.get("content-encoding");
        if (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("gzip") && body.length > 0) {
            body = gunzip(body, status);
        }
        return new Response(status, headers, body, version(version));
    }

    private static String version(HttpClient.Version version) {
        return version == HttpClient.Version.HTTP_2 ? "HTTP/2" : "HTTP/1.1";
    }

    static Map<String, String> lowerCase(Map<String, List<String>> raw) {
        Map<String, String> headers = new HashMap<>(raw.size() * 2);
        raw.forEach((name, values) -> {
            if (!name.startsWith(":")) {
                String value = values.size() == 1 ? values.get(0) : String.join(", ", values);
                headers.merge(name.toLowerCase(Locale.ROOT), value, (a, b) -> a + ", " + b);
            }
        });
        return headers;
    }

    private static byte[] gunzip(byte[] body, int status) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
            return in.readAllBytes();
        } catch (IOException error) {
            throw new io.tavo.sdk.TavoResponseException(
                    "the server answered HTTP " + status + " with a gzip body that does not decompress", status, error);
        }
    }

    /** The Tavo exception for a failure of the HTTP client. */
    static RuntimeException translate(Throwable error, Request request) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof TavoException tavo) {
            return tavo;
        }
        String what = request.method() + " " + request.url();
        if (cause instanceof HttpConnectTimeoutException) {
            return new TavoTimeoutException("connecting for " + what + " timed out", cause);
        }
        if (cause instanceof HttpTimeoutException) {
            return new TavoTimeoutException(what + " timed out waiting for the response", cause);
        }
        if (cause instanceof ConnectException) {
            return new TavoConnectionException("cannot connect for " + what + ": " + cause, cause);
        }
        if (cause instanceof IOException) {
            return new TavoConnectionException("connection failed during " + what + ": " + cause, cause);
        }
        if (cause instanceof RuntimeException runtime) {
            return runtime;
        }
        return new TavoException(what + " failed: " + cause, cause);
    }
}
