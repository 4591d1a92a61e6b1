package io.runwatch.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.BasicAuthenticator;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.runwatch.health.HealthCheck;
import io.runwatch.health.HealthReport;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves, for GET and HEAD only (405 with {@code Allow} otherwise):
 * <pre>
 * /metrics   Prometheus text
 * /healthz   liveness: 200 while no restart is needed, else 503; JSON listing the liveness checks
 * /readyz    readiness: 200 while runwatch is doing its job, else 503; JSON listing every check
 * </pre>
 * The JSON body is {@code {"status":"ok"|"fail","checks":[{"name","ok","detail","since"}]}}. With a web config
 * ({@link WebConfig}) the endpoint speaks TLS and/or asks for basic authentication on every path. Extra routes
 * (the queries: {@code /runs}, {@code /alerts}) are served the same way by handlers that answer on their own
 * threads and close the exchange themselves.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String ALLOW = "GET, HEAD";

    private final HttpServer server;

    public MetricsServer(String host, int port, PrometheusMeterRegistry registry, Supplier<HealthReport> health,
                         WebConfig web) throws IOException {
        this(host, port, registry, health, web, Map.of());
    }

    /** @param routes path → handler that owns the exchange (answers and closes it, on any thread) */
    public MetricsServer(String host, int port, PrometheusMeterRegistry registry, Supplier<HealthReport> health,
                         WebConfig web, Map<String, HttpHandler> routes) throws IOException {
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("--http-host " + host + " does not resolve to an address");
        }
        String warning = bindWarning(host, web);
        if (warning != null) {
            LOG.warn(warning);
        }
        if (web.tls()) {
            HttpsServer https = HttpsServer.create(address, 0);
            https.setHttpsConfigurator(new HttpsConfigurator(web.sslContext()));
            server = https;
        } else {
            server = HttpServer.create(address, 0);
        }
        List<HttpContext> contexts = new ArrayList<>();
        contexts.add(server.createContext("/metrics", getOnly(exchange -> streamScrape(exchange, registry))));
        contexts.add(server.createContext("/healthz", getOnly(exchange -> {
            HealthReport report = health.get();
            respond(exchange, report.live() ? 200 : 503, "application/json", json(report.live(),
                    report.liveness(), List.of()));
        })));
        contexts.add(server.createContext("/readyz", getOnly(exchange -> {
            HealthReport report = health.get();
            respond(exchange, report.ready() ? 200 : 503, "application/json", json(report.ready(),
                    report.liveness(), report.readiness()));
        })));
        routes.forEach((path, handler) -> contexts.add(server.createContext(path, getOnlyOwning(handler))));
        String paths = String.join(", ", new java.util.TreeSet<>(routes.keySet()));
        contexts.add(server.createContext("/", getOnly(exchange -> respond(exchange, 404,
                "text/plain; charset=utf-8", "not found: try /metrics, /healthz or /readyz"
                        + (paths.isEmpty() ? "" : ", " + paths) + "\n"))));
        if (web.basicAuth()) {
            BasicAuthenticator auth = new BasicAuthenticator("runwatch", StandardCharsets.UTF_8) {
                @Override
                public boolean checkCredentials(String user, String password) {
                    return web.authenticate(user, password);
                }
            };
            contexts.forEach(context -> context.setAuthenticator(auth));
        }
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

    /** The warning for binding {@code host}, or null when it is a loopback address (127.0.0.0/8, ::1). */
    public static String bindWarning(String host, WebConfig web) {
        boolean loopback;
        try {
            loopback = InetAddress.getByName(host).isLoopbackAddress();
        } catch (IOException e) {
            loopback = false;
        }
        if (loopback) {
            return null;
        }
        return "warning: --http-host " + host + " is not a loopback address: anyone who can reach it reads run "
                + "names and metrics" + (web.basicAuth() ? "" : " (no basic_auth_users in --web-config-file)")
                + (web.tls() ? "" : " in clear text (no tls_server_config)");
    }

    private static HttpHandler getOnly(HttpHandler handler) {
        return exchange -> {
            try (exchange) {
                String method = exchange.getRequestMethod();
                if (!method.equals("GET") && !method.equals("HEAD")) {
                    exchange.getResponseHeaders().set("Allow", ALLOW);
                    respond(exchange, 405, "text/plain; charset=utf-8", "method " + method + " not allowed; use "
                            + ALLOW + "\n");
                    return;
                }
                handler.handle(exchange);
            }
        };
    }

    /** As {@link #getOnly}, for a handler that closes the exchange itself. */
    private static HttpHandler getOnlyOwning(HttpHandler handler) {
        return exchange -> {
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                try (exchange) {
                    exchange.getResponseHeaders().set("Allow", ALLOW);
                    respond(exchange, 405, "text/plain; charset=utf-8", "method " + method + " not allowed; use "
                            + ALLOW + "\n");
                }
                return;
            }
            handler.handle(exchange);
        };
    }

    static String json(boolean ok, List<HealthCheck> liveness, List<HealthCheck> readiness) {
        ObjectNode body = JSON.createObjectNode();
        body.put("status", ok ? "ok" : "fail");
        ArrayNode checks = body.putArray("checks");
        for (List<HealthCheck> list : List.of(liveness, readiness)) {
            for (HealthCheck check : list) {
                ObjectNode node = checks.addObject();
                node.put("name", check.name());
                node.put("ok", check.ok());
                node.put("detail", check.detail());
                node.put("since", Instant.ofEpochMilli(check.sinceMs()).toString());
            }
        }
        return body.toString() + "\n";
    }

    /**
     * Writes the scrape straight into the response (chunked): at 100,000 runs the text is ~115 MB, and building it
     * as a String first would hold about three copies of it on the heap during every scrape.
     */
    private static void streamScrape(HttpExchange exchange, PrometheusMeterRegistry registry) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(200, -1);
            return;
        }
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = new java.io.BufferedOutputStream(exchange.getResponseBody(), 1 << 16)) {
            registry.scrape(out);
        }
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.getResponseHeaders().set("Content-Length", String.valueOf(bytes.length));
            exchange.sendResponseHeaders(status, -1);
            return;
        }
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
