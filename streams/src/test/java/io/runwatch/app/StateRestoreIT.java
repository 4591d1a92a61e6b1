package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.core.training.TrainingState;
import io.runwatch.topology.StateSerde;
import io.runwatch.topology.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Detector state is written to the stores once per commit, not per record: a {@code runwatch run} process killed
 * with SIGKILL right after a commit must come back with the state of every record that commit covered, from
 * the changelog (exactly-once leaves no checkpoint behind a crash, so the local store is rebuilt from it).
 */
class StateRestoreIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String RUN = "restore-a";
    private static final int STEPS = 400;

    @Test
    void aRunProcessKilledRightAfterACommitComesBackWithTheCommittedStateOfEveryRecord(@TempDir Path dir)
            throws Exception {
        try (EmbeddedKafka broker = EmbeddedKafka.start(dir.resolve("kafka"))) {
            String bootstrap = broker.bootstrapServers();
            Path work = dir.resolve("run");
            RunProcess first = RunProcess.start(work, bootstrap);
            try {
                first.awaitMetrics(s -> s.contains("runwatch_streams_running 1"), Duration.ofSeconds(90));
                List<String> steps = new ArrayList<>();
                for (int step = 1; step <= STEPS; step++) {
                    steps.add("{\"run\":\"" + RUN + "\",\"step\":" + step + ",\"loss\":" + (3.0 - step * 0.001)
                            + ",\"grad_norm\":1.0,\"lr\":0.0003}");
                }
                KafkaTestSupport.produce(bootstrap, Topics.METRICS.name(), RUN, steps);
                awaitCommittedToEnd(bootstrap, Duration.ofSeconds(90));
            } finally {
                first.kill(); // SIGKILL: no shutdown hook, no final commit
            }

            // The committed changelog holds the run's state as of its last record, in the binary state format.
            TrainingState committed = lastCommittedTrainingState(bootstrap);
            assertThat(committed.lastStep).isEqualTo(STEPS);

            RunProcess second = RunProcess.start(work, bootstrap);
            try {
                // Restored from the store before any new record: the step gauge comes from the training state.
                String scrape = second.awaitMetrics(s -> s.contains("runwatch_run_step{run=\"" + RUN + "\"}"),
                        Duration.ofSeconds(120));
                assertThat(scrape).containsPattern("runwatch_run_step\\{run=\"" + RUN + "\"} " + STEPS + "(\\.0)?\n");
            } finally {
                second.kill();
            }
        }
    }

    private static void awaitCommittedToEnd(String bootstrap, Duration timeout) throws Exception {
        TopicPartition input = new TopicPartition(Topics.METRICS.name(), 0);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            long end = admin.listOffsets(Map.of(input, OffsetSpec.latest())).partitionResult(input).get().offset();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets("runwatch")
                        .partitionsToOffsetAndMetadata().get();
                OffsetAndMetadata committed = offsets.get(input);
                if (committed != null && committed.offset() >= end) {
                    return;
                }
                Thread.sleep(100);
            }
            throw new AssertionError("runwatch never committed offset " + end + " of " + input);
        }
    }

    private static TrainingState lastCommittedTrainingState(String bootstrap) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        StateSerde<TrainingState> serde = new StateSerde<>(TrainingState.class);
        byte[] last = null;
        int records = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of("runwatch-training-state-changelog"));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            int emptyPolls = 0;
            while (System.nanoTime() < deadline && (records == 0 || emptyPolls < 5)) {
                var polled = consumer.poll(Duration.ofMillis(200));
                emptyPolls = polled.isEmpty() ? emptyPolls + 1 : 0;
                for (ConsumerRecord<String, byte[]> record : polled) {
                    if (RUN.equals(record.key())) {
                        last = record.value();
                        records++;
                    }
                }
            }
        }
        assertThat(last).as("a committed changelog record of the run").isNotNull();
        assertThat(last[0]).as("Smile header").isEqualTo((byte) ':');
        // Once per commit, not once per record: far fewer changelog records than inputs.
        System.out.printf("StateRestoreIT: %d training-state changelog records for %d input records%n", records,
                STEPS);
        assertThat(records).isLessThan(STEPS);
        return serde.deserializer().deserialize("t", last);
    }

    /** {@code java io.runwatch.app.Main run} in its own JVM on a given broker, so that it can be SIGKILLed. */
    private record RunProcess(Process process, Path log, int httpPort) {
        static RunProcess start(Path workDir, String bootstrap) throws Exception {
            Files.createDirectories(workDir);
            int httpPort = EmbeddedKafka.freePort();
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            Path log = workDir.resolve("run-" + System.nanoTime() + ".log");
            Process process = new ProcessBuilder(List.of(java.toString(), "-Xmx384m", "-cp",
                    System.getProperty("java.class.path"), "io.runwatch.app.Main", "run",
                    "--bootstrap-servers", bootstrap, "--data-dir", workDir.resolve("data").toString(),
                    "--http-port", String.valueOf(httpPort)))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            return new RunProcess(process, log, httpPort);
        }

        String awaitMetrics(java.util.function.Predicate<String> done, Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            String last = "";
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new AssertionError("run exited:\n" + String.join("\n", Files.readAllLines(log)));
                }
                try {
                    last = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                            + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
                    if (done.test(last)) {
                        return last;
                    }
                } catch (java.io.IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(250);
            }
            throw new AssertionError("/metrics never matched; last scrape:\n" + last);
        }

        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor();
        }
    }
}
