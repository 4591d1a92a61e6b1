package io.runwatch.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.runwatch.health.HealthCheck;
import io.runwatch.health.HealthReport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsServerTest {
    private static final HealthReport NOT_READY = new HealthReport(0,
            List.of(new HealthCheck("streams_alive", true, "Kafka Streams RUNNING", 1_000)),
            List.of(new HealthCheck("broker_reachable", false, "no answer from the cluster for 16 s", 2_000)));

    @TempDir
    Path dir;

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> send(MetricsServer server, String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void onlyGetAndHeadAreServedAndHealthIsJsonWithEveryCheck() throws Exception {
        new RunwatchMetrics(registry).streamsRunning(true);
        try (MetricsServer server = new MetricsServer("127.0.0.1", 0, registry, () -> NOT_READY, WebConfig.none())) {
            assertThat(send(server, "GET", "/metrics").body()).contains("runwatch_streams_running 1.0");
            for (String method : List.of("POST", "PUT", "DELETE", "PATCH", "OPTIONS")) {
                HttpResponse<String> refused = send(server, method, "/metrics");
                assertThat(refused.statusCode()).as(method).isEqualTo(405);
                assertThat(refused.headers().firstValue("Allow")).contains("GET, HEAD");
            }
            HttpResponse<String> head = send(server, "HEAD", "/metrics");
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.body()).isEmpty();

            HttpResponse<String> live = send(server, "GET", "/healthz");
            assertThat(live.statusCode()).isEqualTo(200);
            JsonNode liveBody = new ObjectMapper().readTree(live.body());
            assertThat(liveBody.get("status").asText()).isEqualTo("ok");
            assertThat(liveBody.get("checks")).hasSize(1);

            HttpResponse<String> ready = send(server, "GET", "/readyz");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.headers().firstValue("Content-Type")).contains("application/json");
            JsonNode body = new ObjectMapper().readTree(ready.body());
            assertThat(body.get("status").asText()).isEqualTo("fail");
            assertThat(body.get("checks")).hasSize(2);
            JsonNode broker = body.get("checks").get(1);
            assertThat(broker.get("name").asText()).isEqualTo("broker_reachable");
            assertThat(broker.get("ok").asBoolean()).isFalse();
            assertThat(broker.get("detail").asText()).isEqualTo("no answer from the cluster for 16 s");
            assertThat(broker.get("since").asText()).isEqualTo("1970-01-01T00:00:02Z");
            assertThat(send(server, "GET", "/nothing").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void bindingANonLoopbackAddressWarns() {
        assertThat(MetricsServer.bindWarning("127.0.0.1", WebConfig.none())).isNull();
        assertThat(MetricsServer.bindWarning("localhost", WebConfig.none())).isNull();
        assertThat(MetricsServer.bindWarning("::1", WebConfig.none())).isNull();
        assertThat(MetricsServer.bindWarning("0.0.0.0", WebConfig.none())).isEqualTo(
                "warning: --http-host 0.0.0.0 is not a loopback address: anyone who can reach it reads run names "
                        + "and metrics (no basic_auth_users in --web-config-file) in clear text (no tls_server_config)");
    }

    @Test
    void tlsAndBasicAuthFromAWebConfigFile() throws Exception {
        TestCertificates certs = TestCertificates.make(dir);
        String hash = new String(BCrypt.withDefaults().hash(10, "s3cret".toCharArray()), StandardCharsets.UTF_8);
        Path config = dir.resolve("web.yml");
        Files.writeString(config, "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                + "basic_auth_users:\n  prometheus: " + hash + "\n");
        WebConfig web = WebConfig.load(config);
        assertThat(web.tls()).isTrue();
        assertThat(web.basicAuth()).isTrue();
        HttpClient https = HttpClient.newBuilder().sslContext(certs.clientContext()).build();
        try (MetricsServer server = new MetricsServer("127.0.0.1", 0, registry, () -> NOT_READY, web)) {
            URI metrics = URI.create("https://127.0.0.1:" + server.port() + "/metrics");
            assertThat(https.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(401);
            assertThat(https.send(HttpRequest.newBuilder(metrics).header("Authorization", basic("prometheus", "wrong"))
                    .build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
            for (int i = 0; i < 2; i++) { // the second time from the verified cache
                assertThat(https.send(HttpRequest.newBuilder(metrics).header("Authorization",
                        basic("prometheus", "s3cret")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                        .isEqualTo(200);
            }
            assertThat(https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/readyz"))
                    .build(), HttpResponse.BodyHandlers.ofString()).statusCode()).as("health asks too").isEqualTo(401);
            assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                    + "/metrics")).build(), HttpResponse.BodyHandlers.ofString())).as("no clear text")
                    .isInstanceOf(java.io.IOException.class);
        }
    }

    @Test
    void aWrongWebConfigIsRefusedWithOneLineNamingTheProblem() throws Exception {
        Path typo = dir.resolve("typo.yml");
        Files.writeString(typo, "basic_auth_user:\n  prometheus: x\n");
        assertThatThrownBy(() -> WebConfig.load(typo)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("basic_auth_user").hasMessageContaining(typo.toString());
        Path plain = dir.resolve("plain.yml");
        Files.writeString(plain, "basic_auth_users:\n  prometheus: s3cret\n");
        assertThatThrownBy(() -> WebConfig.load(plain)).hasMessage("web config " + plain
                + ": basic_auth_users.prometheus is not a bcrypt hash");
        Path halfTls = dir.resolve("half.yml");
        Files.writeString(halfTls, "tls_server_config:\n  cert_file: server.crt\n");
        assertThatThrownBy(() -> WebConfig.load(halfTls)).hasMessageContaining("needs both cert_file and key_file");
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
