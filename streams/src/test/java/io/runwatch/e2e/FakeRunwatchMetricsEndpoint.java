package io.runwatch.e2e;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * TEST FIXTURE, not runwatch: serves a fixed Prometheus text on {@code /metrics} in place of the real app, so
 * the Prometheus → Alertmanager → receiver path and the dashboards can be checked before (or without) the app.
 * The text can change from one scrape to the next (counters that grow) or be swapped while Prometheus scrapes.
 */
public final class FakeRunwatchMetricsEndpoint implements AutoCloseable {
    private final HttpServer server;
    private final AtomicLong scrapes = new AtomicLong();
    private volatile LongFunction<String> textOfScrape;

    private FakeRunwatchMetricsEndpoint(HttpServer server, LongFunction<String> textOfScrape) {
        this.server = server;
        this.textOfScrape = textOfScrape;
    }

    /** Serves the same text on every scrape. */
    public static FakeRunwatchMetricsEndpoint serving(String metricsText) {
        return serving(scrape -> metricsText);
    }

    /** Serves {@code textOfScrape.apply(n)} on the n-th scrape (from 0). */
    public static FakeRunwatchMetricsEndpoint serving(LongFunction<String> textOfScrape) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            FakeRunwatchMetricsEndpoint endpoint = new FakeRunwatchMetricsEndpoint(server, textOfScrape);
            server.createContext("/metrics", exchange -> {
                try (exchange) {
                    String text = endpoint.textOfScrape.apply(endpoint.scrapes.getAndIncrement());
                    byte[] body = text.getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                    exchange.sendResponseHeaders(200, body.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(body);
                    }
                }
            });
            server.start();
            return endpoint;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code 127.0.0.1:port}, the form Prometheus's static_configs want. */
    public String target() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    public void serve(String metricsText) {
        this.textOfScrape = scrape -> metricsText;
    }

    /** How many times {@code /metrics} was fetched. */
    public long scrapes() {
        return scrapes.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
