package io.tavo.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 where the server offers it, HTTP/1.1 where it does not. A TLS terminator (a self-signed
 * certificate made with openssl, ALPN offering h2 and http/1.1) passes the bytes through to the
 * real server's port, which speaks both HTTP/1.1 and prior-knowledge HTTP/2.
 */
class Http2Test {
    private static final TestServer SERVER = TestServer.get();
    private static SSLServerSocket listener;
    private static SSLContext trust;
    private static final AtomicInteger CONNECTIONS = new AtomicInteger();

    @BeforeAll
    static void terminator() throws Exception {
        Path dir = Files.createTempDirectory("tavo-java-tls");
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Path p12 = dir.resolve("server.p12");
        TestServer.run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-keyout", key.toString(), "-out", cert.toString(), "-days", "1", "-nodes", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1"), dir);
        TestServer.run(List.of("openssl", "pkcs12", "-export", "-in", cert.toString(), "-inkey", key.toString(),
                "-out", p12.toString(), "-passout", "pass:tavo"), dir);
        KeyStore serverStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            serverStore.load(in, "tavo".toCharArray());
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(serverStore, "tavo".toCharArray());
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(keys.getKeyManagers(), null, null);
        listener = (SSLServerSocket) serverContext.getServerSocketFactory().createServerSocket(0, 64,
                InetAddress.getLoopbackAddress());
        SSLParameters parameters = listener.getSSLParameters();
        parameters.setApplicationProtocols(new String[] {"h2", "http/1.1"});
        listener.setSSLParameters(parameters);
        int upstream = Integer.parseInt(SERVER.baseUrl.substring(SERVER.baseUrl.lastIndexOf(':') + 1));
        Thread acceptor = new Thread(() -> {
            while (!listener.isClosed()) {
                try {
                    SSLSocket client = (SSLSocket) listener.accept();
                    CONNECTIONS.incrementAndGet();
                    Socket server = new Socket(InetAddress.getLoopbackAddress(), upstream);
                    CountingProxy.pump(client, server, () -> { });
                    CountingProxy.pump(server, client, () -> { });
                } catch (IOException closed) {
                    return;
                }
            }
        }, "tls-terminator");
        acceptor.setDaemon(true);
        acceptor.start();

        KeyStore trustStore = KeyStore.getInstance(KeyStore.getDefaultType());
        trustStore.load(null, null);
        try (InputStream in = Files.newInputStream(cert)) {
            trustStore.setCertificateEntry("tavo", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory trusted = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trusted.init(trustStore);
        trust = SSLContext.getInstance("TLS");
        trust.init(null, trusted.getTrustManagers(), null);
    }

    @AfterAll
    static void stop() throws IOException {
        listener.close();
    }

    private static String httpsUrl() {
        return "https://127.0.0.1:" + listener.getLocalPort();
    }

    @Test
    void http2IsNegotiatedOverTlsAndMultiplexedWithinTheBound() {
        List<String> versions = Collections.synchronizedList(new ArrayList<>());
        TavoClient client = TavoSdk.createClientBuilder(SERVER.unlimitedKey()).withBaseUrl(httpsUrl()).withSslContext(trust)
                .withMaxConnections(4).withResponseHook(response -> versions.add(response.httpVersion())).build();
        assertEquals(0, client.scanManagement().listScans().total());
        int before = CONNECTIONS.get();
        List<CompletableFuture<?>> calls = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            calls.add(client.repositories().listRepositoriesAsync());
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
        assertEquals(41, versions.size());
        assertTrue(versions.stream().allMatch("HTTP/2"::equals), versions.toString());
        assertEquals(before, CONNECTIONS.get(), "HTTP/2 multiplexed the burst over the open connection");
        assertEquals(4, client.peakConnectionsInUse());
    }

    @Test
    void http11WhenAskedForOrWhereTheServerDoesNotOfferHttp2() {
        List<String> versions = Collections.synchronizedList(new ArrayList<>());
        TavoClient tls11 = TavoSdk.createClientBuilder(SERVER.unlimitedKey()).withBaseUrl(httpsUrl()).withSslContext(trust)
                .withHttpVersion(HttpClient.Version.HTTP_1_1).withResponseHook(r -> versions.add(r.httpVersion())).build();
        tls11.scanManagement().listScans();
        // Plain http: HTTP/1.1 by default; asked for HTTP/2 the client offers an h2c upgrade, which
        // the server declines, answering in HTTP/1.1.
        TavoClient plain = SERVER.client(SERVER.unlimitedKey()).withResponseHook(r -> versions.add(r.httpVersion())).build();
        plain.scanManagement().listScans();
        TavoClient upgrade = SERVER.client(SERVER.unlimitedKey()).withHttpVersion(HttpClient.Version.HTTP_2)
                .withResponseHook(r -> versions.add(r.httpVersion())).build();
        upgrade.scanManagement().listScans();
        upgrade.scanManagement().listScans();
        assertEquals(List.of("HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.1"), versions);
    }

    @Test
    void anUntrustedCertificateIsAConnectionError() {
        TavoClient client = TavoSdk.createClientBuilder("key").withBaseUrl(httpsUrl()).withMaxRetries(0).build();
        TavoConnectionException error = org.junit.jupiter.api.Assertions.assertThrows(TavoConnectionException.class,
                () -> client.scanManagement().listScans());
        assertTrue(String.valueOf(error.getMessage()).contains("SSL") || String.valueOf(error.getCause()).contains("SSL"),
                error.toString());
    }
}
