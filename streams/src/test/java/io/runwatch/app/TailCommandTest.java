package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.ingest.follow.OffsetFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code runwatch tail} on temporary logs, writing to --print-dir: what a user runs to check a parser. */
class TailCommandTest {
    @TempDir
    Path dir;
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    private int tail(String... args) {
        TailCommand command = new TailCommand((format, run) -> new LlmcTestParser(run), null,
                new PrintStream(stderr, true, StandardCharsets.UTF_8));
        return new CommandLine(command).execute(args);
    }

    private String err() {
        return stderr.toString(StandardCharsets.UTF_8);
    }

    private static void append(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }

    @Test
    void noFollowPrintDirWritesOneRecordPerStepAStartEventAndCountsUnparsedLines() throws IOException {
        Path log = dir.resolve("main.log");
        append(log, "s:0 tel:11.0092\ns:0 trl:11.0091 lr:0.000001 norm:15.37\n"
                + "some banner the parser does not know\ns:1 trl:10.9598 lr:0.000002 norm:15.24\ns:2 trl:nan\n");
        Path out = dir.resolve("out");
        assertThat(tail("--format", "llmc", "--run", "R", "--no-follow", "--print-dir", out.toString(),
                log.toString())).isZero();
        assertThat(lines(out.resolve("metrics.jsonl"))).containsExactly(
                "{\"run\":\"R\",\"step\":0,\"loss\":11.0091,\"val_loss\":11.0092}",
                "{\"run\":\"R\",\"step\":1,\"loss\":10.9598}",
                "{\"run\":\"R\",\"step\":2,\"loss\":NaN}");
        assertThat(lines(out.resolve("events.jsonl"))).singleElement().asString()
                .contains("\"run\":\"R\"", "\"type\":\"start\"");
        assertThat(err()).contains(log + ": 1 of 5 lines unparsed", "line 3: some banner the parser does not know");
        assertThat(dir.resolve(".main.log.runwatch-tail.offsets")).doesNotExist();
    }

    @Test
    void strictStopsAtTheFirstUnparsedLineNamingFileAndLineNumber() throws IOException {
        Path log = dir.resolve("main.log");
        append(log, "s:0 trl:11.0\ns:1 trl:10.9\nTraceback (most recent call last):\ns:2 trl:10.8\n");
        int code = tail("--format", "llmc", "--run", "R", "--no-follow", "--strict", "--print-dir",
                dir.resolve("out").toString(), log.toString());
        assertThat(code).isEqualTo(2);
        assertThat(err().lines().filter(l -> !l.contains(" -> "))).containsExactly(
                "runwatch tail: " + log + ":3: unparsed line: Traceback (most recent call last):");
    }

    @Test
    void theRunIdComesFromRunFromOrTheFileNameAndAMissingOneIsAnError() throws IOException {
        Path log = Files.createDirectories(dir.resolve("jobs/gpt-7b-a")).resolve("train.log.txt");
        append(log, "s:5 trl:3.0\n");
        Path out = dir.resolve("out");
        assertThat(tail("--format", "llmc", "--run-from", "jobs/([^/]+)/", "--no-follow", "--print-dir",
                out.toString(), log.toString())).isZero();
        assertThat(lines(out.resolve("metrics.jsonl"))).containsExactly("{\"run\":\"gpt-7b-a\",\"step\":5,\"loss\":3.0}");
        assertThat(tail("--format", "llmc", "--no-follow", "--print-dir", out.toString(), log.toString())).isZero();
        assertThat(lines(out.resolve("metrics.jsonl"))).containsExactly("{\"run\":\"train\",\"step\":5,\"loss\":3.0}");
        assertThat(tail("--format", "llmc", "--run-from", "nomatch/(x)", "--no-follow", "--print-dir",
                out.toString(), log.toString())).isEqualTo(2);
        assertThat(err()).contains("no run id for " + log);
    }

    @Test
    void withAnOffsetsFileASecondRunSendsOnlyTheNewLinesAndNoStepTwice() throws IOException {
        Path log = dir.resolve("main.log");
        Path out = dir.resolve("out");
        Path offsets = dir.resolve("tail.offsets");
        append(log, "s:0 trl:11.0\ns:1 trl:10.9\ns:2 trl:10.8\n");
        String[] args = {"--format", "llmc", "--run", "R", "--no-follow", "--print-dir", out.toString(),
                "--offsets-file", offsets.toString(), log.toString()};
        assertThat(tail(args)).isZero();
        // The first run flushed step 2 at its end; the replay must not send that record again, and the late line
        // of step 2 makes a record of its own, as it would have for a tailer that never stopped.
        append(log, "s:2 tel:10.7\ns:3 trl:10.6\n");
        assertThat(tail(args)).isZero();
        assertThat(tail(args)).isZero();
        assertThat(lines(out.resolve("metrics.jsonl"))).containsExactly(
                "{\"run\":\"R\",\"step\":0,\"loss\":11.0}",
                "{\"run\":\"R\",\"step\":1,\"loss\":10.9}",
                "{\"run\":\"R\",\"step\":2,\"loss\":10.8}",
                "{\"run\":\"R\",\"step\":2,\"val_loss\":10.7}",
                "{\"run\":\"R\",\"step\":3,\"loss\":10.6}");
        assertThat(lines(out.resolve("events.jsonl"))).hasSize(1);
        assertThat(new OffsetFile(offsets).load().orElseThrow().sources()).hasSize(1);
    }

    @Test
    void followingSendsLinesAsTheyArriveFlushesHeldRecordsWhenIdleAndResumesWithoutRepeating() throws Exception {
        Path log = dir.resolve("main.log");
        Path out = dir.resolve("out");
        OffsetFile offsets = new OffsetFile(dir.resolve("tail.offsets"));
        AtomicLong clock = new AtomicLong(1_000_000);
        Tailer.Options options = new Tailer.Options("llmc", (f, run) -> new LlmcTestParser(run), null, false, 1000,
                60_000, new PrintStream(stderr, true, StandardCharsets.UTF_8));
        List<Tailer.SourceSpec> specs = List.of(new Tailer.SourceSpec(log, "main.log", "R"));
        try (Tailer tailer = new Tailer(specs, options, new PrintDirSink(out, false), offsets, null, clock::get)) {
            tailer.pollOnce();
            assertThat(lines(out.resolve("metrics.jsonl"))).isEmpty();
            append(log, "s:0 trl:11.0\ns:1 trl:10.9\ns:2 tr");
            tailer.pollOnce();
            assertThat(lines(out.resolve("metrics.jsonl"))).containsExactly("{\"run\":\"R\",\"step\":0,\"loss\":11.0}");
            append(log, "l:10.8\n");
            clock.addAndGet(100);
            tailer.pollOnce();
            assertThat(lines(out.resolve("metrics.jsonl"))).hasSize(2);
            clock.addAndGet(500);
            tailer.pollOnce();
            assertThat(lines(out.resolve("metrics.jsonl"))).hasSize(2);
            clock.addAndGet(600); // quiet for 1.1 s: the held step 2 goes out
            tailer.pollOnce();
            assertThat(lines(out.resolve("metrics.jsonl"))).hasSize(3);
            assertThat(offsets.load().orElseThrow().sources().values().iterator().next().flushed()).isTrue();
        }
        append(log, "s:3 trl:10.7\n");
        try (Tailer tailer = new Tailer(specs, options, new PrintDirSink(out, true), offsets, null, clock::get)) {
            tailer.pollOnce();
            clock.addAndGet(2000);
            tailer.pollOnce();
        }
        List<String> steps = new ArrayList<>();
        for (String line : lines(out.resolve("metrics.jsonl"))) {
            steps.add(line.replaceAll(".*\"step\":(\\d+).*", "$1"));
        }
        assertThat(steps).containsExactly("0", "1", "2", "3");
        assertThat(lines(out.resolve("events.jsonl"))).hasSize(1);
    }

    @Test
    void theOutsideCheckFormWithTheRealParsersConvertsTheNanoGptNaNLogAndExitsZero() throws Exception {
        Path log = Path.of(getClass().getResource("/trainlogs/raw/nanogpt_issue215_excerpt.txt").toURI());
        Path out = dir.resolve("out");
        int code = Main.commandLine().execute("tail", "--format", "auto", "--run", "nanogpt-issue215-gpt2-124M-fp16",
                "--no-follow", "--print-dir", out.toString(), log.toString());
        assertThat(code).isZero();
        List<String> expected = lines(Path.of(getClass().getResource(
                "/trainlogs/expected/nanogpt_issue215_fp16_nan.jsonl").toURI()));
        List<String> metrics = lines(out.resolve("metrics.jsonl"));
        assertThat(metrics).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            var want = io.runwatch.contract.Json.MAPPER.readTree(expected.get(i));
            var got = io.runwatch.contract.Json.MAPPER.readTree(metrics.get(i));
            assertThat(got.get("step").asLong()).isEqualTo(want.get("step").asLong());
            assertThat(Double.valueOf(got.get("loss").asDouble())).isEqualTo(Double.valueOf(want.get("loss").asDouble()));
        }
        assertThat(lines(out.resolve("events.jsonl"))).anyMatch(l -> l.contains("\"type\":\"start\""))
                .anyMatch(l -> l.contains("\"type\":\"checkpoint\"") && l.contains("\"step\":3000"));
    }

    @Test
    void anUnknownFormatOrABadMapIsAUsageError() {
        assertThat(Main.commandLine().execute("tail", "--format", "nosuch", "--no-follow", "--print-dir",
                dir.resolve("o").toString(), dir.resolve("x.log").toString())).isEqualTo(2);
        assertThat(Main.commandLine().execute("tail", "--format", "kv", "--map", "loss", "--no-follow",
                "--print-dir", dir.resolve("o").toString(), dir.resolve("x.log").toString())).isEqualTo(2);
    }

    @Test
    void hfStateFollowsAnOutputDirectorySendingOnlyEntriesNotSentYetAcrossCheckpointsAndRewrites() throws Exception {
        Path output = Files.createDirectories(dir.resolve("hf-out"));
        Path out = dir.resolve("out");
        String entry = "{\"loss\": %s, \"grad_norm\": 1.0, \"learning_rate\": 1e-05, \"epoch\": 0.1, \"step\": %d}";
        java.util.function.IntFunction<String> state = upTo -> {
            StringBuilder b = new StringBuilder("{\n  \"global_step\": " + upTo + ",\n  \"log_history\": [\n");
            for (int step = 10; step <= upTo; step += 10) {
                b.append(step == 10 ? "" : ",\n").append(String.format(java.util.Locale.ROOT, entry, 2.0 - step / 1000.0,
                        step));
            }
            return b.append("\n  ]\n}\n").toString();
        };
        Files.createDirectories(output.resolve("checkpoint-20"));
        Files.writeString(output.resolve("checkpoint-20/trainer_state.json"), state.apply(20));
        Path offsets = dir.resolve("hf.offsets");
        String[] args = {"--format", "hf-state", "--run", "hf-run", "--no-follow", "--print-dir", out.toString(),
                "--offsets-file", offsets.toString(), output.toString()};
        assertThat(Main.commandLine().execute(prepend("tail", args))).isZero();
        Files.createDirectories(output.resolve("checkpoint-40"));
        Files.writeString(output.resolve("checkpoint-40/trainer_state.json"), state.apply(40));
        Files.writeString(output.resolve("checkpoint-20/trainer_state.json"), state.apply(20)); // touched again
        assertThat(Main.commandLine().execute(prepend("tail", args))).isZero();
        List<String> steps = new ArrayList<>();
        for (String line : lines(out.resolve("metrics.jsonl"))) {
            steps.add(line.replaceAll(".*\"step\":(\\d+).*", "$1"));
        }
        assertThat(steps).containsExactly("10", "20", "30", "40");
    }

    private static String[] prepend(String first, String[] rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    @Test
    void endOnExitSendsAnEndEventWhenTheTrainerProcessExitsAndStops() throws Exception {
        Path log = dir.resolve("main.log");
        append(log, "s:0 trl:11.0\ns:1 trl:10.9\n");
        Process trainer = new ProcessBuilder("sleep", "1").start();
        Path out = dir.resolve("out");
        assertThat(tail("--format", "llmc", "--run", "R", "--print-dir", out.toString(), "--poll-interval-ms", "20",
                "--end-on-exit", String.valueOf(trainer.pid()), log.toString())).isZero();
        assertThat(trainer.isAlive()).isFalse();
        assertThat(lines(out.resolve("metrics.jsonl"))).hasSize(2);
        assertThat(lines(out.resolve("events.jsonl"))).last().asString()
                .contains("\"type\":\"end\"", "\"step\":1", "\"status\":\"exited\"");
        assertThat(err()).contains("exited; sending end events");
    }

    @Test
    void theTailersOwnMetricsCountLinesPerFileRecordsAndBytesBehind() throws Exception {
        Path log = dir.resolve("main.log");
        append(log, "s:0 trl:11.0\ngarbage\ns:1 trl:10.9\ns:2 tr"); // 6 bytes of a line to come
        var registry = new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
                io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        Tailer.Options options = new Tailer.Options("llmc", (f, run) -> new LlmcTestParser(run), null, false, 1000,
                60_000, new PrintStream(stderr, true, StandardCharsets.UTF_8));
        try (Tailer tailer = new Tailer(List.of(new Tailer.SourceSpec(log, "main.log", "R")), options,
                new PrintDirSink(dir.resolve("out"), false), null, new io.runwatch.metrics.TailMetrics(registry),
                () -> 1_796_540_000_000L)) {
            tailer.pollOnce();
        }
        assertThat(registry.scrape()).contains(
                "runwatch_tail_lines_read_total{file=\"main.log\"} 3.0",
                "runwatch_tail_lines_parsed_total{file=\"main.log\"} 2.0",
                "runwatch_tail_lines_unparsed_total{file=\"main.log\"} 1.0",
                "runwatch_tail_records_sent_total{topic=\"runwatch.metrics\"} 1.0",
                "runwatch_tail_records_sent_total{topic=\"runwatch.events\"} 1.0",
                "runwatch_tail_bytes_behind{file=\"main.log\"} 6.0",
                "runwatch_tail_last_record_timestamp_seconds 1.79654E9",
                "runwatch_tail_last_poll_timestamp_seconds 1.79654E9");
    }

    @Test
    void tailHasHelpAndItsFlagsHaveEnvironmentTwins() {
        java.io.StringWriter help = new java.io.StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new java.io.PrintWriter(help));
        assertThat(cli.execute("tail", "--help")).isZero();
        assertThat(help.toString()).contains("Usage: runwatch tail", "--no-follow", "--print-dir", "--strict",
                "--end-on-exit", "--offsets-file", "--run-from", "--map");
        CommandLine withEnv = new CommandLine(new Main()).setDefaultValueProvider(new Main.EnvironmentDefaults(
                java.util.Map.of("RUNWATCH_BOOTSTRAP_SERVERS", "kafka:9092", "RUNWATCH_FORMAT", "megatron")));
        TailCommand tail = withEnv.parseArgs("tail", "x.log").subcommand().commandSpec().commandLine().getCommand();
        assertThat(tail.bootstrapServers).isEqualTo("kafka:9092");
        assertThat(tail.format).isEqualTo("megatron");
    }

    @Test
    void withoutKafkaOrPrintDirTheCommandSaysWhatIsMissing() {
        assertThat(tail("--format", "llmc", dir.resolve("x.log").toString())).isEqualTo(2);
        assertThat(err()).contains("give --bootstrap-servers");
    }
}
