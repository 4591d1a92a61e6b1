package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.config.Settings;
import io.runwatch.topology.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run's checkpoint evaluations sent to a real broker the way evaluation jobs finish them (out of step order,
 * some delivered twice) become exactly one eval_regression on {@code runwatch.alerts}.
 */
class EvalAlertsIT {
    private static final String RUN = "it-evals";
    private static final int ITEMS = 2376;
    private static final double SIGMA = Math.sqrt(0.6 * 0.4 / ITEMS);

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

    private static String eval(int checkpoint, String benchmark, double value, int items) {
        return String.format(Locale.ROOT, "{\"run\":\"%s\",\"step\":%d,\"benchmark\":\"%s\",\"metric\":\"acc\","
                + "\"value\":%.6f,\"n\":%d}", RUN, (checkpoint + 1) * 1_000L, benchmark, value, items);
    }

    @Test
    void outOfOrderEvaluationsOfARunBecomeExactlyOneRegressionAlert() {
        Random random = new Random(17);
        List<double[]> finishing = new ArrayList<>(); // {finish time in checkpoints, checkpoint, value}
        for (int i = 0; i < 40; i++) {
            double lasting = i >= 32 ? 8 : 0; // from checkpoint 32 on, arc_easy is 8 noise units lower
            double value = 0.60 + (random.nextGaussian() - lasting) * SIGMA;
            finishing.add(new double[] {i + 5 * random.nextDouble(), i, value});
        }
        finishing.sort(Comparator.comparingDouble(f -> f[0]));
        List<String> results = new ArrayList<>();
        finishing.forEach(f -> results.add(eval((int) f[1], "arc_easy", f[2], ITEMS)));
        results.addAll(results.subList(30, 40)); // a batch of results delivered again
        // Then a benchmark stuck at chance: its eval_noisy notice shows every result before it was processed.
        for (int i = 0; i < 10; i++) {
            results.add(eval(i, "mmlu_stem", 0.25 + random.nextGaussian() * 0.008, 3018));
        }

        KafkaTestSupport.produce(monitor.bootstrapServers(), Topics.EVALS.name(), RUN, results);
        List<JsonNode> alerts = KafkaTestSupport.readUntil(monitor.bootstrapServers(), Topics.ALERTS.name(),
                        records -> records.stream().anyMatch(r -> r.value().contains("eval_noisy")),
                        Duration.ofSeconds(30)).stream()
                .filter(r -> RUN.equals(r.key())).map(ConsumerRecord::value).map(KafkaTestSupportJson::tree)
                .toList();

        assertThat(alerts).extracting(a -> a.get("type").asText()).contains("eval_noisy");
        List<JsonNode> regressions = alerts.stream()
                .filter(a -> a.get("type").asText().equals("eval_regression")).toList();
        assertThat(regressions).hasSize(1);
        JsonNode ticket = regressions.get(0);
        assertThat(ticket.get("state").asText()).isEqualTo("firing");
        assertThat(ticket.get("severity").asText()).isEqualTo("ticket");
        assertThat(ticket.get("benchmark").asText()).isEqualTo("arc_easy");
        assertThat(ticket.get("step").asLong()).isBetween(33_000L, 34_000L);
        assertThat(ticket.get("runbook").asText()).isEqualTo("alerts/runbook.md#eval_regression");
    }
}
