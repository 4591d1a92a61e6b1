package io.runwatch.query;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of {@link QueryService}: one handler for {@code /runs} and {@code /alerts}, served by the metrics
 * server (same port, TLS and authentication). Queries run on their own threads, off the server's one thread, so a
 * slow query never delays a scrape; and on two pools: requests that may ask other instances, and requests
 * answered from this instance's stores only (forwarded ones). The second kind never waits on anyone, so two
 * instances asking each other at once cannot starve each other. A full pool answers 503.
 */
public final class QueryEndpoints implements HttpHandler, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QueryEndpoints.class);
    /** Concurrent queries that may wait on peers; more wait in the queue. A query is a dashboard's refresh. */
    static final int ROUTING_THREADS = 4;
    static final int LOCAL_THREADS = 2;
    static final int QUEUE = 64;

    private final QueryService service;
    private final ThreadPoolExecutor routing = pool("runwatch-query", ROUTING_THREADS);
    private final ThreadPoolExecutor local = pool("runwatch-query-local", LOCAL_THREADS);

    public QueryEndpoints(QueryService service) {
        this.service = service;
    }

    /** The paths to serve with this handler. */
    public static final String[] PATHS = {"/runs", "/alerts"};

    @Override
    public void handle(HttpExchange exchange) {
        QueryService.Request request = new QueryService.Request(exchange.getRequestURI().getPath(),
                params(exchange.getRequestURI().getRawQuery()),
                exchange.getRequestHeaders().getFirst("Authorization"),
                exchange.getRequestHeaders().getFirst(QueryService.FORWARDED_BY));
        ThreadPoolExecutor pool = request.forwarded() || "true".equals(request.params().get("local")) ? local
                : routing;
        try {
            pool.execute(() -> answer(exchange, request));
        } catch (RejectedExecutionException e) {
            respond(exchange, new QueryService.Response(503, Map.of("Retry-After", "1"),
                    "{\"error\":\"too many queries at once\"}\n"));
        }
    }

    private void answer(HttpExchange exchange, QueryService.Request request) {
        QueryService.Response response;
        try {
            response = service.handle(request);
        } catch (RuntimeException e) {
            LOG.warn("query {} failed", request.path(), e);
            response = new QueryService.Response(500, Map.of(), "{\"error\":\"" + e.getClass().getSimpleName()
                    + "\"}\n");
        }
        respond(exchange, response);
    }

    private static void respond(HttpExchange exchange, QueryService.Response response) {
        try (exchange) {
            byte[] bytes = response.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            response.headers().forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
            if (exchange.getRequestMethod().equals("HEAD")) {
                exchange.getResponseHeaders().set("Content-Length", String.valueOf(bytes.length));
                exchange.sendResponseHeaders(response.status(), -1);
                return;
            }
            exchange.sendResponseHeaders(response.status(), bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } catch (IOException e) {
            LOG.debug("client went away before the answer", e);
        }
    }

    static Map<String, String> params(String rawQuery) {
        Map<String, String> params = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.putIfAbsent(name, value);
        }
        return params;
    }

    private static ThreadPoolExecutor pool(String name, int threads) {
        return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUE),
                r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true);
                    return t;
                });
    }

    @Override
    public void close() {
        routing.shutdownNow();
        local.shutdownNow();
    }
}
