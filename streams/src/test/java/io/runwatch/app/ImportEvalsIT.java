package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.config.Settings;
import io.runwatch.topology.Topics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code import-evals} against a real broker with the monitor on it: every record of a real trajectory arrives on
 * runwatch.evals exactly once, the monitor accepts all of them (none dead-lettered) and shows the run's scores;
 * a restarted {@code --watch} resends nothing and picks up the next checkpoint.
 */
class ImportEvalsIT {
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

    private static int execute(String... args) {
        PrintStream oldOut = System.out;
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            return Main.commandLine().execute(args);
        } finally {
            System.setOut(oldOut);
        }
    }

    private static List<ConsumerRecord<String, String>> evalsOf(String run, int atLeast, Duration timeout) {
        return KafkaTestSupport.readUntil(monitor.bootstrapServers(), Topics.EVALS.name(),
                        records -> records.stream().filter(r -> run.equals(r.key())).count() >= atLeast, timeout)
                .stream().filter(r -> run.equals(r.key())).toList();
    }

    @Test
    void aRealTrajectoryArrivesOnceEachAndTheMonitorTakesEveryRecord() throws Exception {
        String run = "pythia-bias-winobias-410M";
        Path trajectory = Path.of(getClass().getResource("/evals/raw/" + run).toURI());
        assertThat(execute("import-evals", "--run", run, "--bootstrap-servers", monitor.bootstrapServers(),
                trajectory.toString())).isZero();

        List<ConsumerRecord<String, String>> records = evalsOf(run, 193, Duration.ofSeconds(8));
        assertThat(records).hasSize(192);
        Set<String> distinct = new HashSet<>();
        records.forEach(r -> distinct.add(r.value()));
        assertThat(distinct).as("each record once").hasSize(192);
        long now = System.currentTimeMillis();
        assertThat(records).allMatch(r -> Math.abs(r.timestamp() - now) < 120_000); // stamped at send time

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> monitor.get("/metrics")
                .contains("runwatch_eval_score{benchmark=\"wino_bias_type2_anti+refers_to\",metric=\"em\",run=\""
                        + run));
        assertThat(monitor.get("/metrics")).doesNotContain("runwatch_records_rejected_total{reason");
    }

    @Test
    void aRestartedWatcherResendsNothingAndTakesTheNextCheckpoint() throws Exception {
        String run = "adavocab-tinyllama-en-freeze";
        Path source = Path.of(getClass().getResource("/evals/raw/" + run).toURI());
        Path watched = dataDir.resolve("watched");
        Files.createDirectories(watched);
        try (Stream<Path> files = Files.list(source)) {
            for (Path file : files.filter(f -> !f.getFileName().toString().equals("step_1800.json")).toList()) {
                Files.copy(file, watched.resolve(file.getFileName()));
            }
        }
        Path state = dataDir.resolve("watch.state");
        String[] watch = {"import-evals", "--run", run, "--bootstrap-servers", monitor.bootstrapServers(),
                "--watch", watched.toString(), "--state-file", state.toString(), "--poll-interval-s", "0.2"};

        Thread first = new Thread(() -> execute(watch));
        first.start();
        assertThat(evalsOf(run, 20, Duration.ofSeconds(30))).hasSize(20); // 5 checkpoints × 4 scores
        first.interrupt();
        first.join(10_000);

        Thread second = new Thread(() -> execute(watch));
        second.start();
        try {
            Thread.sleep(1_500); // several polls of the restarted watcher over files it already sent
            Files.copy(source.resolve("step_1800.json"), watched.resolve("step_1800.json"));
            List<ConsumerRecord<String, String>> records = evalsOf(run, 25, Duration.ofSeconds(10));
            Map<String, Integer> times = new HashMap<>();
            records.forEach(r -> times.merge(r.value(), 1, Integer::sum));
            assertThat(records).hasSize(24);
            assertThat(times.values()).allMatch(n -> n == 1);
            assertThat(records).filteredOn(r -> r.value().contains("\"step\":1800")).hasSize(4);
        } finally {
            second.interrupt();
            second.join(10_000);
        }
    }
}
