package io.runwatch.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.runwatch.core.MetricPoint;
import io.runwatch.health.HealthReport;
import io.runwatch.metrics.MetricsServer;
import io.runwatch.metrics.RunwatchMetrics;
import io.runwatch.metrics.TestCertificates;
import io.runwatch.metrics.WebConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus scrapes runwatch's endpoint over TLS with basic auth (certificate made by openssl, password
 * checked against a bcrypt hash from the web config file), and reads back run ids that carry NUL, newlines, quotes
 * and unpaired surrogates without a parse error.
 */
class WebConfigPrometheusIT {
    @TempDir
    Path dir;

    @Test
    void prometheusScrapesOverTlsWithBasicAuthAndHostileRunIdsParse() throws Exception {
        TestCertificates certs = TestCertificates.make(dir);
        String hash = new String(BCrypt.withDefaults().hash(10, "scrape-secret".toCharArray()), StandardCharsets.UTF_8);
        Path webConfig = dir.resolve("web.yml");
        Files.writeString(webConfig, "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                + "basic_auth_users:\n  prometheus: " + hash + "\n");

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        RunwatchMetrics metrics = new RunwatchMetrics(registry);
        List<String> hostile = List.of("nul\0byte", "new\nline", "quote\"d", "back\\slash", "lone\uD800half",
                "} 1\nfake_metric 2", "plain-run");
        for (String run : hostile) {
            metrics.trainingStep(MetricPoint.ofLoss(run, 7, 1_000, 2.0));
        }
        try (MetricsServer server = new MetricsServer("127.0.0.1", 0, registry,
                () -> new HealthReport(0, List.of(), List.of()), WebConfig.load(webConfig));
             PrometheusProcess prometheus = PrometheusProcess.start(RepoRoot.alerts().resolve("rules"),
                     "127.0.0.1:" + server.port(), null,
                     "    scheme: https\n"
                             + "    tls_config:\n"
                             + "      ca_file: '" + certs.cert + "'\n"
                             + "    basic_auth:\n"
                             + "      username: prometheus\n"
                             + "      password: scrape-secret\n")) {
            prometheus.awaitTargetUp(Duration.ofSeconds(30));
            List<JsonNode> steps = prometheus.querySeries("runwatch_run_step{job=\"runwatch\"}");
            Set<String> runs = steps.stream().map(s -> s.path("metric").path("run").asText())
                    .collect(Collectors.toSet());
            assertThat(runs).containsExactlyInAnyOrder("nul\uFFFDbyte", "new\uFFFDline", "quote\"d", "back\\slash",
                    "lone\uFFFDhalf", "} 1\uFFFDfake_metric 2", "plain-run");
            assertThat(prometheus.querySeries("fake_metric")).isEmpty();
            System.out.printf("HEALTH Prometheus scraped https + basic auth: up=1, %d run series parsed%n", runs.size());
        }
    }
}
