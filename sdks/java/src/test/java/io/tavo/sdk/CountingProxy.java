package io.tavo.sdk;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay in front of the real server that counts the connections clients open through it:
 * how many are open at once (and the most ever), and how many were opened in all.
 */
final class CountingProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final int upstreamPort;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();
    private final AtomicInteger opened = new AtomicInteger();

    CountingProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        listener = new ServerSocket(0, 256, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "counting-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String url() {
        return "http://127.0.0.1:" + listener.getLocalPort();
    }

    int peak() { return peak.get(); }
    int opened() { return opened.get(); }
    int open() { return open.get(); }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
                opened.incrementAndGet();
                peak.accumulateAndGet(open.incrementAndGet(), Math::max);
                AtomicInteger halves = new AtomicInteger(2);
                Runnable closed = () -> {
                    if (halves.decrementAndGet() == 0) {
                        open.decrementAndGet();
                    }
                };
                pump(client, server, closed);
                pump(server, client, closed);
            } catch (IOException error) {
                if (listener.isClosed()) {
                    return;
                }
            }
        }
    }

    static void pump(Socket from, Socket to, Runnable closed) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, read);
                    out.flush();
                }
            } catch (IOException ended) {
                // One side went away: close both.
            } finally {
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                    // Already closed.
                }
                closed.run();
            }
        });
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
