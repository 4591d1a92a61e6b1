package io.runwatch.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/** Serves {@code /metrics} (Prometheus text) and {@code /healthz} (200 while the app is healthy, else 503). */
public final class MetricsServer implements AutoCloseable {
    /** What /healthz reports: healthy or not, and a one-line reason (the Streams state). */
    public record Health(boolean healthy, String detail) {
    }

    private final HttpServer server;

    public MetricsServer(String host, int port, PrometheusMeterRegistry registry, Supplier<Health> health)
            throws IOException {
        server = HttpServer.create(new InetSocketAddress(host, port), 0);
        server.createContext("/metrics", exchange -> respond(exchange, 200,
                "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
        server.createContext("/healthz", exchange -> {
            Health h = health.get();
            respond(exchange, h.healthy() ? 200 : 503, "text/plain; charset=utf-8", h.detail() + "\n");
        });
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "runwatch-http");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
