package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.contract.Json;
import io.runwatch.ingest.evals.EvalResultParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ImportEvalsCommandTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run execute(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.commandLine().execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private Path bundled(String run) throws Exception {
        return Path.of(getClass().getResource("/evals/raw/" + run).toURI());
    }

    private static Set<JsonNode> jsonLines(Path file) throws Exception {
        Set<JsonNode> lines = new HashSet<>();
        for (String line : Files.readAllLines(file)) {
            JsonNode node = Json.MAPPER.readTree(line);
            ((com.fasterxml.jackson.databind.node.ObjectNode) node).remove("higher_is_better");
            lines.add(node);
        }
        return lines;
    }

    @Test
    void theOutsideCheckFormWritesTheExpectedRecordsAndSaysWhereEachStepCameFrom() throws Exception {
        Path winobias = bundled("pythia-bias-winobias-410M");
        Path out = dir.resolve("out");
        Run run = execute("import-evals", "--run", "pythia-bias-winobias-410M", "--print-dir", out.toString(),
                winobias.toString());
        assertThat(run.code()).as(run.err()).isZero();
        Set<JsonNode> written = jsonLines(out.resolve("evals.jsonl"));
        assertThat(Files.readAllLines(out.resolve("evals.jsonl"))).hasSize(192);
        assertThat(written).isEqualTo(jsonLines(winobias.resolveSibling("pythia-bias-winobias-410M.expected.jsonl")));
        assertThat(run.out().lines().filter(l -> l.contains("eval_results_"))).hasSize(24)
                .allMatch(l -> l.contains("bigscience") && l.contains("8 records")
                        && l.contains("from model_args (config iteration="));
        assertThat(run.out()).contains("step 13000 from model_args (config iteration=13000)");
        assertThat(run.err()).contains("24 result files, 192 records written to");
        // Checkpoints go out in step order although the harness evaluated them in another.
        List<Long> steps = Files.readAllLines(out.resolve("evals.jsonl")).stream()
                .map(l -> tree(l).get("step").asLong()).toList();
        assertThat(steps).isSorted();
    }

    @Test
    void theHarnessDateTravelsAsTimeUnlessAskedNotToAndOldTimesAreWarnedAbout() throws Exception {
        Path adavocab = bundled("adavocab-tinyllama-zh-full");
        Path out = dir.resolve("out");
        Run withTime = execute("import-evals", "--run", "zh", "--print-dir", out.toString(), adavocab.toString());
        assertThat(withTime.code()).isZero();
        assertThat(Files.readAllLines(out.resolve("evals.jsonl"))).hasSize(8)
                .allMatch(l -> tree(l).get("time").asLong() > 1_700_000_000_000L);
        assertThat(withTime.err()).contains("8 records carry an evaluation time over a day old")
                .contains("--eval-time none");

        Run without = execute("import-evals", "--run", "zh", "--eval-time", "none", "--print-dir", out.toString(),
                adavocab.toString());
        assertThat(without.code()).isZero();
        assertThat(Files.readAllLines(out.resolve("evals.jsonl"))).hasSize(8).noneMatch(l -> l.contains("\"time\""));
        assertThat(without.err()).doesNotContain("over a day old");
    }

    @Test
    void aMissingPathIsOneLineAndExitTwo() {
        Run run = execute("import-evals", "--run", "r", "--print-dir", dir.toString(), "/no/such/results");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err().strip()).isEqualTo("import-evals: no such file or directory: /no/such/results");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void filesWithoutAStepTakeStepOrAreReportedAndNothingImportedIsAnError() throws Exception {
        Path results = dir.resolve("results");
        Files.createDirectories(results.resolve("lm_eval"));
        Files.writeString(results.resolve("lm_eval/results.json"),
                "{\"results\": {\"piqa\": {\"acc\": 0.6, \"acc_stderr\": 0.01}},"
                        + " \"config\": {\"model_args\": \"pretrained=gpt2\"}}");
        Files.writeString(results.resolve("lm_eval/config.json"), "{\"hidden_size\": 768}");
        Files.write(results.resolve("lm_eval/model.safetensors"), new byte[] {0, 1, 2});
        Path out = dir.resolve("out");

        Run noStep = execute("import-evals", "--run", "r", "--print-dir", out.toString(), results.toString());
        assertThat(noStep.code()).as("nothing was imported").isEqualTo(1);
        assertThat(noStep.out()).contains("results/lm_eval/results.json").contains("FAILED: no step")
                .contains("results/lm_eval/config.json").contains("skipped (not an evaluation result)")
                .doesNotContain("safetensors");
        assertThat(noStep.err()).contains("0 records").contains("1 failed").contains("nothing imported from");

        Run withStep = execute("import-evals", "--run", "r", "--step", "700", "--print-dir", out.toString(),
                results.toString());
        assertThat(withStep.code()).isZero();
        assertThat(withStep.out()).contains("step 700 from --step (--step 700)");
        assertThat(Files.readString(out.resolve("evals.jsonl"))).contains("\"step\":700", "\"benchmark\":\"piqa\"");

        // One good file beside a bad one: the good one is imported; --strict turns the bad one into exit 1.
        Files.createDirectories(results.resolve("step_9"));
        Files.writeString(results.resolve("step_9/results.json"), "{\"results\": {\"piqa\": {\"acc\": 0.6}}}");
        assertThat(execute("import-evals", "--run", "r", "--print-dir", out.toString(), results.toString()).code())
                .isZero();
        assertThat(execute("import-evals", "--run", "r", "--strict", "--print-dir", out.toString(),
                results.toString()).code()).isEqualTo(1);
    }

    @Test
    void theWatcherImportsAFileOnceItStopsChangingAndARestartDoesNotResendIt() throws Exception {
        Path watched = dir.resolve("evals");
        Path state = dir.resolve("watch.state");
        Files.createDirectories(watched.resolve("step_100"));
        Path first = watched.resolve("step_100/results.json");
        Files.writeString(first, "{\"results\": {\"piqa\": {\"acc\": 0.6}}}");
        EvalResultParser parser = new EvalResultParser(1 << 20);
        EvalWatcher watcher = new EvalWatcher(watched, state, parser, "r", OptionalLong.empty());

        assertThat(watcher.poll()).isEmpty(); // seen once: may still be being written
        List<EvalWatcher.Ready> ready = watcher.poll();
        assertThat(ready).hasSize(1);
        assertThat(ready.get(0).result().step().detail()).isEqualTo("directory step_100");
        watcher.imported(ready.get(0));
        assertThat(watcher.poll()).isEmpty();

        // A restart remembers it; a new checkpoint directory is picked up; a rewritten file is imported again.
        EvalWatcher restarted = new EvalWatcher(watched, state, parser, "r", OptionalLong.empty());
        assertThat(restarted.rememberedFiles()).isEqualTo(1);
        Files.createDirectories(watched.resolve("step_200"));
        Files.writeString(watched.resolve("step_200/results.json"), "{\"results\": {\"piqa\": {\"acc\": 0.61}}}");
        assertThat(restarted.poll()).isEmpty();
        assertThat(restarted.poll()).extracting(r -> r.result().step().step()).containsExactly(200L);
        Files.writeString(first, "{\"results\": {\"piqa\": {\"acc\": 0.65}}}");
        Files.setLastModifiedTime(first, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
        restarted.poll();
        List<EvalWatcher.Ready> again = restarted.poll();
        assertThat(again).extracting(r -> r.result().step().step()).contains(100L);
    }

    @Test
    void theCommandWatchesUntilInterruptedAndWritesEachNewFileOnce() throws Exception {
        Path watched = dir.resolve("watched");
        Files.createDirectories(watched.resolve("checkpoint-10"));
        Files.writeString(watched.resolve("checkpoint-10/r.json"), "{\"results\": {\"piqa\": {\"acc\": 0.5}}}");
        Path out = watched; // its own output inside the watched directory is never read back
        Thread watcher = new Thread(() -> execute("import-evals", "--run", "r", "--watch", watched.toString(),
                "--poll-interval-s", "0.05", "--print-dir", out.toString()));
        watcher.start();
        try {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() ->
                    Files.exists(out.resolve("evals.jsonl")) && Files.readString(out.resolve("evals.jsonl"))
                            .contains("\"step\":10"));
            Files.createDirectories(watched.resolve("checkpoint-20"));
            Files.writeString(watched.resolve("checkpoint-20/r.json"), "{\"results\": {\"piqa\": {\"acc\": 0.55}}}");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() ->
                    Files.readString(out.resolve("evals.jsonl")).contains("\"step\":20"));
            Thread.sleep(300); // several more polls: nothing is written twice
        } finally {
            watcher.interrupt();
            watcher.join(10_000);
        }
        assertThat(watcher.isAlive()).isFalse();
        assertThat(Files.readAllLines(out.resolve("evals.jsonl"))).hasSize(2);
        assertThat(watched.resolve(".runwatch-import-evals.state")).exists();
    }

    @Test
    void helpAndEnvironmentTwins() {
        StringWriter help = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(help));
        assertThat(cli.execute("import-evals", "--help")).isZero();
        assertThat(help.toString()).contains("Usage: runwatch import-evals", "--watch", "--print-dir", "--step");
        CommandLine withEnv = new CommandLine(new Main()).setDefaultValueProvider(new Main.EnvironmentDefaults(
                Map.of("RUNWATCH_RUN", "from-env", "RUNWATCH_BOOTSTRAP_SERVERS", "kafka:9092", "RUNWATCH_STEP", "5")));
        CommandLine.ParseResult parsed = withEnv.parseArgs("import-evals", "x");
        ImportEvalsCommand command = parsed.subcommand().commandSpec().commandLine().getCommand();
        assertThat(command.run).isEqualTo("from-env");
        assertThat(command.bootstrapServers).isEqualTo("kafka:9092");
        assertThat(command.step).isEqualTo(5L);
    }

    private static JsonNode tree(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

}
