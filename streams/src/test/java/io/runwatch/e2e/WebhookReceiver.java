package io.runwatch.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.runwatch.contract.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Predicate;

/**
 * Records every notification Alertmanager posts to it, by path ({@code /pager}, {@code /ticket},
 * {@code /pagerduty/v2/enqueue}), on an ephemeral port of 127.0.0.1.
 */
public final class WebhookReceiver implements AutoCloseable {
    private final HttpServer server;
    private final List<Notification> notifications = new CopyOnWriteArrayList<>();

    private WebhookReceiver(HttpServer server) {
        this.server = server;
    }

    public static WebhookReceiver start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            WebhookReceiver receiver = new WebhookReceiver(server);
            server.createContext("/", receiver::record);
            server.setExecutor(Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "webhook-receiver");
                t.setDaemon(true);
                return t;
            }));
            server.start();
            return receiver;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** e.g. {@code http://127.0.0.1:40123}, without a trailing slash. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Notification> notifications() {
        return List.copyOf(notifications);
    }

    /** Every alert of every Alertmanager webhook notification received on {@code path}. */
    public List<ReceivedAlert> alerts(String path) {
        List<ReceivedAlert> alerts = new ArrayList<>();
        for (Notification n : notifications) {
            if (n.path().equals(path)) {
                n.body().path("alerts").forEach(a -> alerts.add(ReceivedAlert.of(n, a)));
            }
        }
        return alerts;
    }

    /** Waits for the first alert received on {@code path} that matches; fails after {@code timeout}. */
    public ReceivedAlert awaitAlert(String path, Predicate<ReceivedAlert> matching, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (ReceivedAlert alert : alerts(path)) {
                if (matching.test(alert)) {
                    return alert;
                }
            }
            ManagedProcess.sleep(100);
        }
        throw new AssertionError("No matching alert on " + path + " within " + timeout + "; received: "
                + notifications);
    }

    /** Waits for the first notification (any payload, e.g. a PagerDuty event) received on {@code path}. */
    public Notification awaitNotification(String path, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (Notification n : notifications) {
                if (n.path().equals(path)) {
                    return n;
                }
            }
            ManagedProcess.sleep(100);
        }
        throw new AssertionError("No notification on " + path + " within " + timeout + "; received: "
                + notifications);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void record(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            JsonNode json;
            try {
                json = Json.MAPPER.readTree(body);
            } catch (IOException notJson) {
                json = Json.MAPPER.getNodeFactory().textNode(new String(body, java.nio.charset.StandardCharsets.UTF_8));
            }
            notifications.add(new Notification(exchange.getRequestURI().getPath(), json, Instant.now()));
            // 202 is what the PagerDuty Events API answers; Alertmanager's webhook accepts any 2xx.
            exchange.sendResponseHeaders(202, -1);
        }
    }

    /** One HTTP POST received. */
    public record Notification(String path, JsonNode body, Instant receivedAt) {
    }

    /** One alert of an Alertmanager webhook notification. */
    public record ReceivedAlert(String path, String receiver, String status, Map<String, String> labels,
                                Map<String, String> annotations, Instant receivedAt) {

        static ReceivedAlert of(Notification n, JsonNode alert) {
            return new ReceivedAlert(n.path(), n.body().path("receiver").asText(), alert.path("status").asText(),
                    strings(alert.path("labels")), strings(alert.path("annotations")), n.receivedAt());
        }

        public String label(String name) {
            return labels.get(name);
        }

        private static Map<String, String> strings(JsonNode object) {
            Map<String, String> map = new TreeMap<>();
            object.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
            return map;
        }
    }
}
