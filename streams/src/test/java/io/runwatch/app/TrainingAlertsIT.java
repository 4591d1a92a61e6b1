package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.config.Settings;
import io.runwatch.topology.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training-health alerts end to end: a trainer's records produced to a real in-process KRaft broker, the real
 * application, and the committed records of {@code runwatch.alerts} read back as a consumer downstream would.
 */
class TrainingAlertsIT {
    private static final Set<String> TRAINING_TYPES = Set.of("loss_spike", "divergence");

    @TempDir
    static Path dataDir;
    static MonitorUnderTest monitor;

    @BeforeAll
    static void start() throws Exception {
        monitor = MonitorUnderTest.start(dataDir, Settings.defaults());
    }

    @AfterAll
    static void stop() {
        if (monitor != null) {
            monitor.close();
        }
    }

    @Test
    void aSpikeThatBecomesADivergencePagesWithItsRollbackAndARecoveringSpikeTicketsAndResolves() throws Exception {
        // The checkpoints come first and are seen before the spike, as they would be in a live run.
        produce(Topics.EVENTS, "it-diverge", List.of(
                "{\"run\":\"it-diverge\",\"type\":\"start\",\"config\":{\"adam_eps\":1e-8}}",
                "{\"run\":\"it-diverge\",\"type\":\"checkpoint\",\"step\":100}",
                "{\"run\":\"it-diverge\",\"type\":\"checkpoint\",\"step\":200}"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(monitor.get("/metrics"))
                .contains("runwatch_records_total{topic=\"runwatch.events\"} 3.0"));
        // +40% from step 251 and it stays there: a ticket, then a divergence page once it shows no progress back.
        produce(Topics.METRICS, "it-diverge", trainerLog("it-diverge", 330, 251, 0.40, 1000, 1));

        List<JsonNode> diverge = trainingAlertsOf("it-diverge", 3);
        assertThat(diverge).extracting(a -> a.get("type").asText(), a -> a.get("severity").asText(),
                a -> a.get("state").asText()).containsExactly(
                tuple("loss_spike", "ticket", "firing"),
                tuple("loss_spike", "ticket", "resolved"),
                tuple("divergence", "page", "firing"));
        JsonNode spike = diverge.get(0);
        JsonNode page = diverge.get(2);
        assertThat(spike.get("id").asText()).isEqualTo("it-diverge/loss_spike/251");
        assertThat(spike.get("rollback_to_step").asLong()).isEqualTo(200);
        assertThat(diverge.get(1).get("id").asText()).isEqualTo(spike.get("id").asText());
        assertThat(diverge.get(1).get("summary").asText()).contains("escalated to divergence");
        assertThat(page.get("id").asText()).isEqualTo("it-diverge/divergence/251");
        assertThat(page.get("related_id").asText()).isEqualTo(spike.get("id").asText());
        assertThat(page.get("rollback_to_step").asLong()).isEqualTo(200);
        assertThat(page.get("runbook").asText()).isEqualTo("alerts/runbook.md#divergence");
        assertThat(page.get("summary").asText()).contains("not coming back");

        // Another run: a 30% spike that comes back within ten steps.
        produce(Topics.METRICS, "it-recover", trainerLog("it-recover", 330, 251, 0.30, 2, 2));
        List<JsonNode> recover = trainingAlertsOf("it-recover", 2);
        assertThat(recover).extracting(a -> a.get("type").asText(), a -> a.get("severity").asText(),
                a -> a.get("state").asText()).containsExactly(
                tuple("loss_spike", "ticket", "firing"),
                tuple("loss_spike", "ticket", "resolved"));
        assertThat(recover.get(1).get("id").asText()).isEqualTo(recover.get(0).get("id").asText());
        assertThat(recover.get(1).get("summary").asText()).contains("back to its pre-spike level");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(monitor.get("/metrics")).contains(
                "runwatch_alert_active{run=\"it-diverge\",severity=\"page\",type=\"divergence\"} 1",
                "runwatch_alert_rollback_to_step{run=\"it-diverge\",type=\"divergence\"} 200"));
    }

    /**
     * One JSON record per step as a trainer writes it: a power-law loss with 0.5% seeded noise and a spike of
     * relative {@code height} at {@code spikeAt}, held {@code hold} steps, then back linearly over 8 steps.
     */
    private static List<String> trainerLog(String run, int steps, int spikeAt, double height, int hold, long seed) {
        Random random = new Random(seed);
        List<String> lines = new ArrayList<>(steps);
        for (int step = 1; step <= steps; step++) {
            double logLoss = Math.log(2.5 + 7 / Math.pow(1 + step / 300.0, 0.7)) + 0.005 * random.nextGaussian();
            int since = step - spikeAt;
            if (since >= 0 && since <= hold) {
                logLoss += Math.log1p(height);
            } else if (since > hold && since <= hold + 8) {
                logLoss += Math.log1p(height) * (1 - (since - hold) / 9.0);
            }
            lines.add(String.format(Locale.ROOT, "{\"run\":\"%s\",\"step\":%d,\"loss\":%.6f,\"grad_norm\":%.4f}",
                    run, step, Math.exp(logLoss), 0.5 * Math.exp(0.05 * random.nextGaussian())));
        }
        return lines;
    }

    private static void produce(Topics.Topic<?, ?> topic, String run, List<String> values) {
        KafkaTestSupport.produce(monitor.bootstrapServers(), topic.name(), run, values);
    }

    private static List<JsonNode> trainingAlertsOf(String run, int atLeast) {
        return KafkaTestSupport.readUntil(monitor.bootstrapServers(), Topics.ALERTS.name(),
                        records -> trainingAlerts(records, run).size() >= atLeast, Duration.ofSeconds(60))
                .stream().filter(r -> run.equals(r.key())).map(ConsumerRecord::value).map(KafkaTestSupportJson::tree)
                .filter(a -> TRAINING_TYPES.contains(a.get("type").asText())).toList();
    }

    private static List<JsonNode> trainingAlerts(List<ConsumerRecord<String, String>> records, String run) {
        return records.stream().filter(r -> run.equals(r.key())).map(r -> KafkaTestSupportJson.tree(r.value()))
                .filter(a -> TRAINING_TYPES.contains(a.get("type").asText())).toList();
    }
}
