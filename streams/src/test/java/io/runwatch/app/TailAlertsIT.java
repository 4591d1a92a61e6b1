package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.config.Settings;
import io.runwatch.contract.AlertJson;
import io.runwatch.core.Alert;
import io.runwatch.topology.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The path a user takes, end to end on a real broker: {@code runwatch tail} over a trainer's raw log, then the
 * monitor, gives the same alerts as {@code backtest} over the expected conversion of that log.
 */
class TailAlertsIT {
    @TempDir
    static Path dir;
    static MonitorUnderTest monitor;

    @BeforeAll
    static void start() throws Exception {
        monitor = MonitorUnderTest.start(dir.resolve("monitor"), Settings.defaults());
    }

    @AfterAll
    static void stop() {
        if (monitor != null) {
            monitor.close();
        }
    }

    /** Copies a bundled test resource (gunzipped) to a file, as a trainer would have written it. */
    private static Path resource(String name, Path to) throws IOException {
        try (InputStream raw = TailAlertsIT.class.getResourceAsStream(name)) {
            assertThat(raw).as(name).isNotNull();
            Files.copy(name.endsWith(".gz") ? new GZIPInputStream(raw) : raw, to);
        }
        return to;
    }

    /** The firing training alerts of {@code alerts} as "type severity step", the comparable part. */
    private static Set<String> firing(List<Alert> alerts) {
        Set<String> out = new TreeSet<>();
        for (Alert alert : alerts) {
            if (alert.state().name().equalsIgnoreCase("firing")) {
                out.add(alert.type() + " " + alert.severity() + " " + alert.step());
            }
        }
        return out;
    }

    private static List<Alert> backtest(Path expected) throws IOException {
        Path out = dir.resolve(expected.getFileName() + ".alerts.jsonl");
        assertThat(Main.commandLine().execute("backtest", "--metrics", expected.toString(), "--out",
                out.toString())).isZero();
        return Files.readAllLines(out).stream().filter(l -> !l.isBlank()).map(AlertJson::read).toList();
    }

    private static List<Alert> liveAlerts(String run, int atLeast) {
        return KafkaTestSupport.readUntil(monitor.bootstrapServers(), Topics.ALERTS.name(),
                        records -> records.stream().filter(r -> run.equals(r.key())).count() >= atLeast,
                        Duration.ofSeconds(atLeast == 0 ? 5 : 60)).stream()
                .filter(r -> run.equals(r.key())).map(ConsumerRecord::value).map(AlertJson::read).toList();
    }

    private void tailAndWait(String run, Path log, long lastStep) throws Exception {
        int code = Main.commandLine().execute("tail", "--format", "auto", "--run", run, "--no-follow",
                "--bootstrap-servers", monitor.bootstrapServers(), "--offsets-file",
                dir.resolve(run + ".offsets").toString(), log.toString());
        assertThat(code).isZero();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(monitor.get("/metrics")).contains("runwatch_run_step{run=\"" + run + "\"} " + lastStep));
    }

    private static Set<String> training(Set<String> alerts) {
        Set<String> out = new TreeSet<>();
        for (String a : alerts) {
            if (!a.startsWith("stall") && !a.startsWith("throughput_drop") && !a.startsWith("restart_storm")) {
                out.add(a);
            }
        }
        return out;
    }

    @Test
    void theNanoGptNaNLogTailedPagesNonfiniteAtTheSameStepAsItsBacktest() throws Exception {
        String run = "nanogpt-issue215-gpt2-124M-fp16";
        Path log = resource("/trainlogs/raw/nanogpt_issue215_excerpt.txt", dir.resolve("nanogpt.log"));
        Path expected = resource("/trainlogs/expected/nanogpt_issue215_fp16_nan.jsonl", dir.resolve("nanogpt.jsonl"));
        Set<String> backtest = training(firing(backtest(expected)));
        assertThat(backtest).contains("nonfinite page 3010");
        tailAndWait(run, log, 3060);
        Set<String> live = training(firing(liveAlerts(run, backtest.size())));
        assertThat(live).isEqualTo(backtest);
    }

    @Test
    void theCleanLlmcLogTailedGetsNoPageAndTheSameAlertsAsItsBacktest() throws Exception {
        String run = "llmc-gpt2-124M-10B";
        Path log = resource("/trainlogs/raw/llmc_gpt2_124M_main.log.gz", dir.resolve("main.log"));
        Path expected = resource("/trainlogs/expected/llmc_gpt2_124M_main.jsonl.gz", dir.resolve("llmc.jsonl"));
        Set<String> backtest = firing(backtest(expected));
        assertThat(backtest).noneMatch(a -> a.contains(" page "));
        tailAndWait(run, log, 19559);
        Thread.sleep(2_000); // the last commit interval's alerts
        Set<String> live = training(firing(liveAlerts(run, backtest.size())));
        assertThat(live).isEqualTo(training(backtest));
        assertThat(firing(liveAlerts(run, 0))).noneMatch(a -> a.contains(" page "));
    }
}
