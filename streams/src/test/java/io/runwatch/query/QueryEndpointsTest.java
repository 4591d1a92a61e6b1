package io.runwatch.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpHandler;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.runwatch.config.Settings;
import io.runwatch.core.liveness.LivenessMonitor;
import io.runwatch.health.HealthReport;
import io.runwatch.metrics.MetricsServer;
import io.runwatch.metrics.WebConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP side of the queries on the real server, before Kafka Streams has started: nothing is guessed. */
class QueryEndpointsTest {
    private final HttpClient http = HttpClient.newHttpClient();
    private MetricsServer server;
    private QueryEndpoints endpoints;

    @BeforeEach
    void start() throws Exception {
        QueryService service = new QueryService(() -> null, new LivenessMonitor(Settings.defaults().liveness()),
                "127.0.0.1:9464", null, Duration.ofSeconds(1), 7);
        endpoints = new QueryEndpoints(service);
        Map<String, HttpHandler> routes = new LinkedHashMap<>();
        for (String path : QueryEndpoints.PATHS) {
            routes.put(path, endpoints);
        }
        server = new MetricsServer("127.0.0.1", 0, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                () -> new HealthReport(0, List.of(), List.of()), WebConfig.none(), routes);
    }

    @AfterEach
    void stop() {
        server.close();
        endpoints.close();
    }

    private HttpResponse<String> send(String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void beforeStreamsRunsEveryQueryIs503WithRetryAfterNeverAnEmptyAnswer() throws Exception {
        for (String path : List.of("/runs", "/runs/some%2Frun", "/alerts?state=firing", "/runs?local=true")) {
            HttpResponse<String> response = send("GET", path);
            assertThat(response.statusCode()).as(path).isEqualTo(503);
            assertThat(response.headers().firstValue("Retry-After")).as(path).contains("7");
            assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
            var body = new ObjectMapper().readTree(response.body());
            assertThat(body.get("error").asText()).isEqualTo("Kafka Streams is not started on 127.0.0.1:9464");
            assertThat(body.get("served_by").asText()).isEqualTo("127.0.0.1:9464");
        }
        assertThat(new ObjectMapper().readTree(send("GET", "/runs/some%2Frun").body()).get("run").asText())
                .as("the id is decoded: run ids may hold any character").isEqualTo("some/run");
        HttpResponse<String> head = send("HEAD", "/runs");
        assertThat(head.statusCode()).isEqualTo(503);
        assertThat(head.body()).isEmpty();
    }

    @Test
    void wrongRequestsAreTold() throws Exception {
        assertThat(send("GET", "/alerts?state=open").statusCode()).isEqualTo(400);
        assertThat(send("GET", "/alerts?state=open").body()).contains("state must be firing, resolved or all");
        assertThat(send("GET", "/runsx").statusCode()).isEqualTo(404);
        assertThat(send("GET", "/alertsx").statusCode()).isEqualTo(404);
        HttpResponse<String> post = send("POST", "/runs");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).contains("GET, HEAD");
        assertThat(send("GET", "/nothing").body()).contains("/alerts, /runs");
    }

    @Test
    void queryParametersAreDecodedAndTheFirstOfARepeatedOneWins() {
        assertThat(QueryEndpoints.params("state=firing&run=a%2Fb+c&state=all&flag"))
                .containsExactly(Map.entry("state", "firing"), Map.entry("run", "a/b c"), Map.entry("flag", ""));
        assertThat(QueryEndpoints.params(null)).isEmpty();
    }
}
