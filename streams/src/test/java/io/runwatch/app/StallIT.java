package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.config.Settings;
import io.runwatch.topology.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run that stops sending, against a real broker and the real application: the stall page must reach
 * {@code runwatch.alerts} within the run's learned deadline plus one tick of its last record, and resolve when the
 * run reports again.
 */
class StallIT {
    private static final String RUN = "it-stall";
    private static final long TICK_MS = 500;
    private static final long PACE_MS = 1_000;
    /** A 1-s floor, so the deadline this run gets is the one learned from its 1-s pace (about 3.6 s). */
    private static final Settings SETTINGS = Settings.defaults()
            .with(Settings.TICK_INTERVAL_MS, TICK_MS)
            .with(Settings.STALL_FLOOR_S, 1);
    /**
     * Beyond deadline + tick, a page may wait for the exactly-once transaction that carries it to commit (the
     * commit interval, before which read_committed consumers cannot see it) and for the stream thread's next loop
     * (wall-clock punctuators run between polls, 100 ms apart); the rest absorbs a busy shared CPU.
     */
    private static final long SLACK_MS = SETTINGS.longValue(Settings.COMMIT_INTERVAL_MS) + 100 + 500;

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dataDir;

    @Test
    void aRunThatStopsSendingPagesWithinItsDeadlinePlusOneTickAndResolvesWhenItReportsAgain() throws Exception {
        try (EmbeddedKafka broker = EmbeddedKafka.start(dataDir.resolve("kafka"));
             RunwatchApp app = RunwatchApp.start(SETTINGS, new RunwatchApp.Options(broker.bootstrapServers(),
                     new Properties(), dataDir.resolve("state"), "127.0.0.1", 0));
             KafkaProducer<String, String> producer = producer(broker);
             AlertWatch alerts = new AlertWatch(broker.bootstrapServers())) {
            assertThat(app.awaitRunning(Duration.ofSeconds(60))).as("Streams reaches RUNNING").isTrue();

            long lastSentMs = 0;
            for (int step = 1; step <= 12; step++) {
                lastSentMs = send(producer, step);
                Thread.sleep(PACE_MS);
            }
            double exportedDeadlineS = scrapedDeadlineS(app);

            List<JsonNode> page = alerts.poll(a -> "stall".equals(a.get("type").asText()), Duration.ofSeconds(30));
            long appearedAfterMs = System.currentTimeMillis() - lastSentMs;
            assertThat(page).as("the stall page, and nothing while the run kept pace").hasSize(1);
            JsonNode stall = page.get(0);
            assertThat(stall.get("severity").asText()).isEqualTo("page");
            assertThat(stall.get("state").asText()).isEqualTo("firing");
            assertThat(stall.get("step").asLong()).isEqualTo(12);
            double deadlineS = stall.get("threshold").asDouble();
            double silenceAtTickS = stall.get("value").asDouble();
            System.out.printf(Locale.ROOT, "StallIT: learned deadline %.2f s; paged at a tick after %.2f s of "
                    + "silence; on runwatch.alerts %.2f s after the last record (bound: deadline + %.1f s tick + "
                    + "%.1f s slack)%n", deadlineS, silenceAtTickS, appearedAfterMs / 1000.0, TICK_MS / 1000.0,
                    SLACK_MS / 1000.0);
            assertThat(deadlineS).as("3 × the 1-s pace or more: learned, not the 1-s floor").isGreaterThanOrEqualTo(3.0)
                    .isCloseTo(exportedDeadlineS, within(1e-6));
            assertThat(appearedAfterMs).isGreaterThan((long) (deadlineS * 1000))
                    .isLessThanOrEqualTo((long) (deadlineS * 1000) + TICK_MS + SLACK_MS);

            send(producer, 13);
            List<JsonNode> resolved = alerts.poll(a -> true, Duration.ofSeconds(30));
            assertThat(resolved).extracting(a -> a.get("id").asText() + " " + a.get("state").asText())
                    .containsExactly(stall.get("id").asText() + " resolved");
        }
    }

    /**
     * The tick's deadline index is in memory: a restart rebuilds it from the restored stores. A run that went
     * silent just before a restart must page after it, at its deadline, or it would never be judged again.
     */
    @Test
    void aRunThatFallsSilentAcrossARestartPagesAfterIt() throws Exception {
        Settings settings = SETTINGS.with(Settings.STALL_FLOOR_S, 30).with(Settings.STALL_INPUT_IDLE_S, 1);
        try (MonitorUnderTest monitor = MonitorUnderTest.start(dataDir, settings);
             KafkaProducer<String, String> producer = producer(monitor.bootstrapServers());
             AlertWatch alerts = new AlertWatch(monitor.bootstrapServers())) {
            long lastSentMs = 0;
            for (int step = 1; step <= 12; step++) {
                lastSentMs = send(producer, step);
                Thread.sleep(PACE_MS);
            }
            long giveUp = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!monitor.get("/metrics").contains("runwatch_run_step{run=\"" + RUN + "\"} 12")
                    && System.nanoTime() < giveUp) {
                Thread.sleep(100);
            }
            monitor.restartApp();
            long restartedAfterMs = System.currentTimeMillis() - lastSentMs;

            List<JsonNode> page = alerts.poll(a -> "stall".equals(a.get("type").asText()), Duration.ofSeconds(90));
            long appearedAfterMs = System.currentTimeMillis() - lastSentMs;
            System.out.printf(Locale.ROOT, "StallIT: restarted %.1f s after the last record; stall paged %.1f s "
                    + "after it%n", restartedAfterMs / 1000.0, appearedAfterMs / 1000.0);
            assertThat(restartedAfterMs).as("the silence spans the restart").isLessThan(30_000);
            assertThat(page).as("one stall page, from the restarted instance").hasSize(1);
            JsonNode stall = page.get(0);
            assertThat(stall.get("state").asText()).isEqualTo("firing");
            assertThat(stall.get("step").asLong()).isEqualTo(12);
            assertThat(stall.get("threshold").asDouble()).as("the 30-s floor").isEqualTo(30.0);
            assertThat(appearedAfterMs).isGreaterThan(30_000).isLessThanOrEqualTo(30_000 + TICK_MS + SLACK_MS);
        }
    }

    private static double scrapedDeadlineS(RunwatchApp app) throws Exception {
        String scrape = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort()
                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("^runwatch_run_stall_deadline_seconds\\{run=\"" + RUN + "\"} (\\S+)$",
                Pattern.MULTILINE).matcher(scrape);
        assertThat(m.find()).as("the run's stall deadline is exported").isTrue();
        return Double.parseDouble(m.group(1));
    }

    /** Sends one step, stamped with the time it is sent, and waits until the broker has it. */
    private static long send(KafkaProducer<String, String> producer, long step) throws Exception {
        long now = System.currentTimeMillis();
        producer.send(new ProducerRecord<>(Topics.METRICS.name(), RUN, String.format(Locale.ROOT,
                "{\"run\":\"%s\",\"step\":%d,\"time\":%d,\"loss\":%.4f}", RUN, step, now, 3.0 - step * 0.01))).get();
        return now;
    }

    private static KafkaProducer<String, String> producer(EmbeddedKafka broker) {
        return producer(broker.bootstrapServers());
    }

    private static KafkaProducer<String, String> producer(String bootstrapServers) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrapServers);
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    /**
     * Reads this run's committed alerts as they appear. Assigned (no consumer group), so there is no rebalance
     * delay between an alert's commit and the moment the test sees it.
     */
    private static final class AlertWatch implements AutoCloseable {
        private final KafkaConsumer<String, String> consumer;

        AlertWatch(String bootstrap) {
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
            // runwatch creates its topics on a background thread once the broker answers: wait for the alerts topic.
            List<TopicPartition> partitions = List.of();
            long giveUp = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.isEmpty() && System.nanoTime() < giveUp) {
                partitions = consumer.partitionsFor(Topics.ALERTS.name(), Duration.ofSeconds(5)).stream()
                        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            }
            if (partitions.isEmpty()) {
                throw new IllegalStateException(Topics.ALERTS.name() + " was not created within 60 s");
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }

        /** This run's alerts read so far, until one satisfies {@code until} or {@code timeout} passes. */
        List<JsonNode> poll(Predicate<JsonNode> until, Duration timeout) {
            List<JsonNode> seen = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            do {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(20))) {
                    if (RUN.equals(r.key())) {
                        seen.add(KafkaTestSupportJson.tree(r.value()));
                    }
                }
            } while (seen.stream().noneMatch(until) && System.nanoTime() < deadline);
            return seen;
        }

        @Override
        public void close() {
            consumer.close();
        }
    }
}
