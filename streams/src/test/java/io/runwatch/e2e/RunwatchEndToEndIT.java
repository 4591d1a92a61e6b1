package io.runwatch.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.app.EmbeddedKafka;
import io.runwatch.app.KafkaTestSupport;
import io.runwatch.app.RunwatchApp;
import io.runwatch.config.Settings;
import io.runwatch.topology.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path with real parts: the in-process broker, the runwatch application, a real Prometheus loading
 * {@code alerts/rules} and scraping runwatch every second, a real Alertmanager with {@code alerts/alertmanager.yml}
 * pointed at a webhook served here. A run spikes and then diverges: the page must reach the pager with its run
 * and runbook, the same run's spike ticket must be inhibited, and every dashboard query must return data.
 * It also prints the latency from producing a bad record to the alert record and to Alertmanager.
 */
class RunwatchEndToEndIT {
    private static final String RUN = "e2e-run";
    private static final Duration DELIVERY = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    @Test
    void aDivergingRunPagesThroughPrometheusAndAlertmanagerAndTheDashboardsHaveData() throws Exception {
        Settings settings = Settings.defaults().with(Settings.TICK_INTERVAL_MS, 1000);
        try (EmbeddedKafka broker = EmbeddedKafka.start(dir.resolve("kafka"));
             RunwatchApp app = RunwatchApp.start(settings, new RunwatchApp.Options(broker.bootstrapServers(),
                     new Properties(), dir.resolve("state"), "127.0.0.1", 0));
             AlertingStack stack = AlertingStack.start("127.0.0.1:" + app.httpPort(),
                     java.nio.file.Files.createDirectories(dir.resolve("alerting")))) {
            assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();
            stack.prometheus().awaitTargetUp(Duration.ofSeconds(30));
            String bootstrap = broker.bootstrapServers();

            KafkaTestSupport.produce(bootstrap, Topics.EVENTS.name(), RUN, List.of(
                    "{\"run\":\"" + RUN + "\",\"type\":\"start\",\"step\":0,\"config\":{\"adam_eps\":1e-8}}"));
            KafkaTestSupport.produce(bootstrap, Topics.EVALS.name(), RUN, evaluations());
            KafkaTestSupport.produce(bootstrap, Topics.METRICS.name(), RUN, List.of("{\"run\":\"" + RUN + "\"}"));
            produceSpikeThatDiverges(bootstrap);

            WebhookReceiver.ReceivedAlert page = stack.receiver().awaitAlert("/pager",
                    a -> "TrainingDivergence".equals(a.label("alertname")) && RUN.equals(a.label("run")), DELIVERY);
            assertThat(page.labels()).containsEntry("severity", "critical").containsEntry("type", "divergence");
            assertThat(page.annotations().get("runbook_url")).isEqualTo("alerts/runbook.md#trainingdivergence");
            assertThat(page.annotations().get("description")).contains(RUN).contains("Roll back to step 300");

            JsonNode spikeTicket = stack.alertmanager().awaitAlert("TrainingLossSpike", RUN, DELIVERY);
            assertThat(spikeTicket.path("status").path("state").asText()).isEqualTo("suppressed");
            assertThat(spikeTicket.path("status").path("inhibitedBy")).isNotEmpty();

            List<DashboardQueries.Outcome> outcomes = DashboardQueries.runAll(stack.prometheus(),
                    DashboardQueries.all(RepoRoot.grafana()), DashboardQueries.variables(RUN, "10s"));
            assertThat(outcomes).as("every dashboard query returns data").allSatisfy(
                    outcome -> assertThat(outcome.failed()).as(outcome.toString()).isFalse());

            measureLatency(bootstrap, stack.alertmanager());
            // After the ticket route's group_wait, the inhibited ticket has still not been delivered.
            assertThat(stack.receiver().alerts("/ticket")).noneMatch(a -> RUN.equals(a.label("run"))
                    && "TrainingLossSpike".equals(a.label("alertname")));
        }
    }

    /** A power-law loss with 1 % noise, checkpoints every 100 steps, and from step 301 a jump of 80 % that stays. */
    private static void produceSpikeThatDiverges(String bootstrap) {
        Random random = new Random(7);
        List<String> metrics = new ArrayList<>();
        List<String> checkpoints = new ArrayList<>();
        for (int step = 1; step <= 400; step++) {
            double loss = (2.5 + 7 / Math.pow(1 + step / 300.0, 0.7)) * Math.exp(0.01 * random.nextGaussian());
            if (step > 300) {
                loss *= 1.8 * (1 + 0.002 * (step - 300));
            }
            metrics.add(String.format(Locale.ROOT, "{\"run\":\"%s\",\"step\":%d,\"loss\":%.5f,\"grad_norm\":%.4f,"
                    + "\"lr\":3e-4,\"tokens_per_s\":%.0f,\"groups\":{\"embed\":{\"grad_norm\":0.1,"
                    + "\"update_rms_over_lr\":0.3},\"mlp\":{\"grad_norm\":0.5,\"update_rms_over_lr\":0.4}}}",
                    RUN, step, loss, 1 + 0.05 * random.nextGaussian(), 1e5 * (1 + 0.01 * random.nextGaussian())));
            if (step % 100 == 0) {
                // The checkpoint event must follow its step: send what we have so far, in order.
                KafkaTestSupport.produce(bootstrap, Topics.METRICS.name(), RUN, metrics);
                metrics.clear();
                checkpoints.add("{\"run\":\"" + RUN + "\",\"type\":\"checkpoint\",\"step\":" + step + "}");
                KafkaTestSupport.produce(bootstrap, Topics.EVENTS.name(), RUN, checkpoints);
                checkpoints.clear();
            }
        }
        KafkaTestSupport.produce(bootstrap, Topics.METRICS.name(), RUN, metrics);
    }

    /** Ten checkpoints of two benchmarks rising above chance, with capabilities, so the eval panels have data. */
    private static List<String> evaluations() {
        List<String> evals = new ArrayList<>();
        for (int k = 1; k <= 10; k++) {
            long step = k * 40L;
            evals.add(String.format(Locale.ROOT, "{\"run\":\"%s\",\"step\":%d,\"benchmark\":\"arc_easy\","
                    + "\"value\":%.4f,\"n\":2376,\"capability\":\"knowledge\"}", RUN, step, 0.30 + 0.02 * k));
            evals.add(String.format(Locale.ROOT, "{\"run\":\"%s\",\"step\":%d,\"benchmark\":\"piqa\","
                    + "\"value\":%.4f,\"n\":1838,\"capability\":\"reasoning\"}", RUN, step, 0.55 + 0.015 * k));
        }
        return evals;
    }

    /** Produces a NaN on a fresh run and times its arrival on runwatch.alerts and in Alertmanager. */
    private static void measureLatency(String bootstrap, AlertmanagerProcess alertmanager) {
        String run = "e2e-latency";
        List<String> warm = new ArrayList<>();
        for (int step = 1; step <= 20; step++) {
            warm.add("{\"run\":\"" + run + "\",\"step\":" + step + ",\"loss\":3.0,\"grad_norm\":1.0}");
        }
        KafkaTestSupport.produce(bootstrap, Topics.METRICS.name(), run, warm);
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "e2e-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(List.of(Topics.ALERTS.name()));
            while (consumer.assignment().isEmpty()) {
                consumer.poll(Duration.ofMillis(100)); // join the group and position at the end first
            }
            long produced = System.nanoTime();
            KafkaTestSupport.produce(bootstrap, Topics.METRICS.name(), run,
                    List.of("{\"run\":\"" + run + "\",\"step\":21,\"loss\":NaN,\"grad_norm\":1.0}"));
            long onTopic = -1;
            long inAlertmanager = -1;
            long deadline = produced + DELIVERY.toNanos();
            while ((onTopic < 0 || inAlertmanager < 0) && System.nanoTime() < deadline) {
                for (var record : consumer.poll(Duration.ofMillis(20))) {
                    if (onTopic < 0 && run.equals(record.key()) && record.value().contains("\"nonfinite\"")) {
                        onTopic = System.nanoTime();
                    }
                }
                if (inAlertmanager < 0 && alertmanager.alert("TrainingLossNonFinite", run) != null) {
                    inAlertmanager = System.nanoTime();
                }
            }
            assertThat(onTopic).as("the nonfinite alert record arrived").isPositive();
            assertThat(inAlertmanager).as("TrainingLossNonFinite reached Alertmanager").isPositive();
            System.out.printf(Locale.ROOT, "LATENCY bad record -> runwatch.alerts: %.2f s; -> Alertmanager: %.2f s "
                            + "(scrape and evaluation every 1 s, rule for: 10s)%n",
                    (onTopic - produced) / 1e9, (inAlertmanager - produced) / 1e9);
        }
    }
}
