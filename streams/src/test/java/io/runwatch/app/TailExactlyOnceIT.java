package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.ingest.follow.OffsetFile;
import io.runwatch.ingest.follow.TailState;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once on a real broker: a tailer ({@code runwatch tail}, its own JVM, the real llm.c parser) killed with
 * SIGKILL while the log grows, and restarted, produces every line's record exactly once, counted by a
 * read_committed consumer.
 */
class TailExactlyOnceIT {
    private static final Pattern STEP = Pattern.compile("\"step\":(\\d+)");

    @TempDir
    Path dir;

    private static void createTopics(String bootstrap, int partitions) throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(new NewTopic("runwatch.metrics", partitions, (short) 1),
                    new NewTopic("runwatch.events", partitions, (short) 1),
                    new NewTopic("runwatch.evals", 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }
    }

    private static Map<Long, Integer> stepsOf(List<ConsumerRecord<String, String>> records, String run) {
        Map<Long, Integer> counts = new TreeMap<>();
        for (ConsumerRecord<String, String> record : records) {
            Matcher m = STEP.matcher(record.value());
            if (run.equals(record.key()) && m.find()) {
                counts.merge(Long.parseLong(m.group(1)), 1, Integer::sum);
            }
        }
        return counts;
    }

    private static long countOf(List<ConsumerRecord<String, String>> records, String run) {
        return records.stream().filter(r -> run.equals(r.key())).count();
    }

    private Process startTailer(String bootstrap, Path log, Path offsets, Path stderr) throws IOException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx192m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "tail", "--format", "llmc", "--run", "eo-run", "--bootstrap-servers",
                bootstrap, "--offsets-file", offsets.toString(), "--poll-interval-ms", "20", log.toString());
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(stderr.toFile())).start();
    }

    @Test
    void aTailerKilledWithSigkillWhileTheLogGrowsAndRestartedSendsEveryLineExactlyOnce() throws Exception {
        int steps = 3_000;
        try (EmbeddedKafka broker = EmbeddedKafka.start(dir.resolve("kafka"))) {
            String bootstrap = broker.bootstrapServers();
            createTopics(bootstrap, 3);
            Path log = dir.resolve("main.log");
            Path offsets = dir.resolve("tail.offsets");
            Path output = dir.resolve("tailer-output.txt");
            Random random = new Random(20261206);
            // The trainer: block-buffered bursts of about 20 lines, cut at arbitrary bytes, 40-120 ms apart.
            Thread writer = new Thread(() -> {
                try (OutputStream out = Files.newOutputStream(log, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND)) {
                    StringBuilder pending = new StringBuilder();
                    for (int step = 0; step < steps; step++) {
                        if (step % 50 == 0) { // a validation loss, held by the parser until its step's line
                            pending.append("s:").append(step).append(" tel:").append(String.format("%.4f",
                                    10.1 - step * 0.002)).append('\n');
                        }
                        pending.append("s:").append(step).append(" trl:").append(String.format("%.4f",
                                10.0 - step * 0.002)).append('\n');
                        if (random.nextInt(20) == 0 || step == steps - 1) {
                            int cut = step == steps - 1 ? pending.length() : random.nextInt(pending.length() + 1);
                            out.write(pending.substring(0, cut).getBytes(StandardCharsets.UTF_8));
                            out.flush();
                            pending.delete(0, cut);
                            Thread.sleep(40 + random.nextInt(80)); // ~12 s of writing: several kills land mid-log
                        }
                    }
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, "it-trainer");
            writer.start();
            int kills = 0;
            Process tailer = startTailer(bootstrap, log, offsets, output);
            while (writer.isAlive() || kills < 4) {
                Thread.sleep(1_500 + random.nextInt(1_500)); // JVM start + initTransactions, then some batches
                tailer.destroyForcibly(); // SIGKILL: no shutdown hook, no last commit
                tailer.waitFor(30, TimeUnit.SECONDS);
                kills++;
                tailer = startTailer(bootstrap, log, offsets, output);
            }
            writer.join();
            try {
                List<ConsumerRecord<String, String>> metrics = KafkaTestSupport.readUntil(bootstrap,
                        "runwatch.metrics", records -> countOf(records, "eo-run") >= steps, Duration.ofSeconds(120));
                Thread.sleep(2_000); // anything duplicated would arrive now
                metrics = KafkaTestSupport.readUntil(bootstrap, "runwatch.metrics",
                        records -> countOf(records, "eo-run") > steps, Duration.ofSeconds(5));
                Map<Long, Integer> counts = stepsOf(metrics, "eo-run");
                String log0 = Files.readString(output);
                assertThat(counts).as("every step once; tailer output:%n%s", log0).hasSize(steps);
                assertThat(counts.values()).as("no step twice").containsOnly(1);
                assertThat(metrics.stream().filter(r -> r.value().contains("val_loss"))).hasSize(steps / 50);
                assertThat(kills).isGreaterThanOrEqualTo(4);
                System.out.printf("TailExactlyOnceIT: %d SIGKILLs; %d restarts found a newer state in Kafka than in "
                        + "the offset file (killed between commit and offset write)%n", kills,
                        log0.lines().filter(l -> l.contains("recovered transaction")).count());
                List<ConsumerRecord<String, String>> events = KafkaTestSupport.readUntil(bootstrap,
                        "runwatch.events", records -> false, Duration.ofSeconds(3));
                assertThat(events.stream().filter(r -> r.value().contains("\"type\":\"start\"")))
                        .as("one start event across restarts").hasSize(1);
            } finally {
                tailer.destroyForcibly();
                tailer.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** A sink that dies right after Kafka committed, before the offset file is written: the worst instant. */
    private static final class DiesAfterCommit implements Tailer.Sink {
        private final KafkaTailSink kafka;
        private final int commitsBeforeDeath;
        private int commits;

        DiesAfterCommit(KafkaTailSink kafka, int commitsBeforeDeath) {
            this.kafka = kafka;
            this.commitsBeforeDeath = commitsBeforeDeath;
        }

        @Override
        public TailState recover(TailState saved) {
            return kafka.recover(saved);
        }

        @Override
        public void commit(List<Tailer.Outgoing> records, TailState after) {
            kafka.commit(records, after);
            if (++commits >= commitsBeforeDeath) {
                throw new IllegalStateException("killed after the commit");
            }
        }

        @Override
        public void close() {
            kafka.close();
        }
    }

    @Test
    void killedAfterTheCommitButBeforeTheOffsetWriteTheRestartFindsTheCommittedStateInKafka() throws Exception {
        try (EmbeddedKafka broker = EmbeddedKafka.start(dir.resolve("kafka"))) {
            String bootstrap = broker.bootstrapServers();
            createTopics(bootstrap, 2);
            Path log = dir.resolve("main.log");
            OffsetFile offsets = new OffsetFile(dir.resolve("tail.offsets"));
            Tailer.Options options = new Tailer.Options("llmc", (f, run) -> new LlmcTestParser(run), null, false,
                    60_000, 60_000, new PrintStream(OutputStream.nullOutputStream()));
            List<Tailer.SourceSpec> specs = List.of(new Tailer.SourceSpec(log, "main.log", "crash-run"));
            Files.writeString(log, "s:0 trl:11.0\ns:1 trl:10.9\n");
            Tailer first = new Tailer(specs, options, new DiesAfterCommit(new KafkaTailSink(bootstrap,
                    new Properties()), 2), offsets, null, System::currentTimeMillis);
            first.pollOnce(); // commit 1: start event + step 0 (step 1 held by the parser)
            Files.writeString(log, "s:2 trl:10.8\ns:3 trl:10.7\n", StandardOpenOption.APPEND);
            List<Long> offsetFileTransactions = new ArrayList<>();
            offsetFileTransactions.add(offsets.load().orElseThrow().transaction());
            try {
                first.pollOnce(); // commit 2 reaches Kafka (steps 1, 2), the offset file stays at commit 1
            } catch (IllegalStateException expected) {
                // the crash
            }
            first.close();
            offsetFileTransactions.add(offsets.load().orElseThrow().transaction());
            assertThat(offsetFileTransactions).containsExactly(1L, 1L);
            Files.writeString(log, "s:4 trl:10.6\n", StandardOpenOption.APPEND);
            try (Tailer second = new Tailer(specs, options, new KafkaTailSink(bootstrap, new Properties()), offsets,
                    null, System::currentTimeMillis)) {
                assertThat(second.state().transaction()).isEqualTo(2);
                second.finish(null);
            }
            List<ConsumerRecord<String, String>> metrics = KafkaTestSupport.readUntil(bootstrap, "runwatch.metrics",
                    records -> countOf(records, "crash-run") >= 5, Duration.ofSeconds(30));
            Thread.sleep(1_000);
            metrics = KafkaTestSupport.readUntil(bootstrap, "runwatch.metrics",
                    records -> countOf(records, "crash-run") > 5, Duration.ofSeconds(3));
            assertThat(stepsOf(metrics, "crash-run")).isEqualTo(Map.of(0L, 1, 1L, 1, 2L, 1, 3L, 1, 4L, 1));
        }
    }
}
