package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.config.Settings;
import io.runwatch.topology.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** The real application against a real in-process KRaft broker, over real HTTP. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RunwatchIT {
    @TempDir
    static Path dataDir;
    static MonitorUnderTest monitor;

    @BeforeAll
    static void start() throws Exception {
        monitor = MonitorUnderTest.start(dataDir, Settings.defaults().with(Settings.TICK_INTERVAL_MS, 500));
    }

    @AfterAll
    static void stop() {
        if (monitor != null) {
            monitor.close();
        }
    }

    static String get(String path) throws Exception {
        return monitor.get(path);
    }

    static List<JsonNode> alertsOf(String run, int atLeast) {
        return KafkaTestSupport.readUntil(monitor.bootstrapServers(), Topics.ALERTS.name(),
                        records -> records.stream().filter(r -> run.equals(r.key())).count() >= atLeast,
                        Duration.ofSeconds(60)).stream()
                .filter(r -> run.equals(r.key())).map(ConsumerRecord::value).map(KafkaTestSupportJson::tree).toList();
    }

    @Test
    @Order(1)
    void aNaNLossBecomesAPageOnTheAlertsTopicAndTheRunsGaugesAreScraped() throws Exception {
        KafkaTestSupport.produce(monitor.bootstrapServers(), Topics.METRICS.name(), "it-nan", List.of(
                "{\"run\":\"it-nan\",\"step\":1,\"loss\":3.1,\"grad_norm\":1.1}",
                "{\"run\":\"it-nan\",\"step\":2,\"loss\":3.0,\"grad_norm\":1.0}",
                "{\"run\":\"it-nan\",\"step\":3,\"loss\":NaN,\"grad_norm\":1.0}",
                "{\"run\":\"it-nan\",\"step\":4,\"loss\":NaN,\"grad_norm\":1.0}"));
        List<JsonNode> alerts = alertsOf("it-nan", 1);
        assertThat(alerts).hasSize(1);
        JsonNode page = alerts.get(0);
        assertThat(page.get("type").asText()).isEqualTo("nonfinite");
        assertThat(page.get("severity").asText()).isEqualTo("page");
        assertThat(page.get("step").asLong()).isEqualTo(3);
        assertThat(page.get("rollback_to_step").asLong()).isEqualTo(2);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(get("/metrics")).contains(
                "runwatch_run_step{run=\"it-nan\"} 4",
                "runwatch_run_loss{run=\"it-nan\"} NaN",
                "runwatch_run_grad_norm{run=\"it-nan\"} 1.0",
                "runwatch_run_last_seen_timestamp_seconds{run=\"it-nan\"}",
                "runwatch_alert_active{run=\"it-nan\",severity=\"page\",type=\"nonfinite\"} 1",
                "runwatch_streams_running 1.0"));
        assertThat(get("/healthz")).contains("RUNNING");
    }

    @Test
    @Order(2)
    void malformedRecordsAreDeadLetteredWithTheirReasonAndGoodRecordsAfterThemFlow() {
        KafkaTestSupport.produce(monitor.bootstrapServers(), Topics.METRICS.name(), "it-dlq", List.of(
                "{\"run\":\"it-dlq\",\"step\":1,\"loss\":2.0",
                "{\"run\":\"it-dlq\",\"step\":\"x\",\"loss\":2.0}",
                "{\"step\":2,\"loss\":2.0}",
                "{\"run\":\"it-dlq\",\"step\":3,\"loss\":2.0}",
                "{\"run\":\"it-dlq\",\"step\":4,\"loss\":\"inf\"}"));
        List<ConsumerRecord<String, String>> dead = KafkaTestSupport.readUntil(monitor.bootstrapServers(),
                Topics.DEAD_LETTER.name(), records -> records.size() >= 3, Duration.ofSeconds(60));
        assertThat(dead).extracting(r -> KafkaTestSupportJson.tree(r.value()).get("reason").asText())
                .containsExactly("malformed_json", "wrong_type", "missing_field");
        JsonNode first = KafkaTestSupportJson.tree(dead.get(0).value());
        assertThat(first.get("topic").asText()).isEqualTo("runwatch.metrics");
        assertThat(first.get("original_text") == null ? first.get("originalText").asText()
                : first.get("original_text").asText()).isEqualTo("{\"run\":\"it-dlq\",\"step\":1,\"loss\":2.0");
        List<JsonNode> alerts = alertsOf("it-dlq", 1);
        assertThat(alerts).extracting(a -> a.get("type").asText() + "@" + a.get("step").asLong())
                .containsExactly("nonfinite@4");
    }

    @Test
    @Order(3)
    void aRestartNeitherRepeatsNorLosesTheOpenAlert() throws Exception {
        monitor.restartApp();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(get("/metrics"))
                .contains("runwatch_alert_active{run=\"it-nan\",severity=\"page\",type=\"nonfinite\"} 1"));
        KafkaTestSupport.produce(monitor.bootstrapServers(), Topics.METRICS.name(), "it-nan", List.of(
                "{\"run\":\"it-nan\",\"step\":5,\"loss\":NaN}",
                "{\"run\":\"it-nan\",\"step\":6,\"loss\":2.9,\"grad_norm\":1.0}"));
        List<JsonNode> alerts = alertsOf("it-nan", 2);
        assertThat(alerts).extracting(a -> a.get("state").asText()).containsExactly("firing", "resolved");
        assertThat(alerts.get(1).get("id").asText()).isEqualTo(alerts.get(0).get("id").asText());
    }
}
