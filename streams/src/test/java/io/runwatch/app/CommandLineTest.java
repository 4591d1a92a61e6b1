package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runwatch.config.Settings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CommandLineTest {
    @TempDir
    Path dir;

    @Test
    void everyCommandHasHelpAndEveryFlagAnEnvironmentTwin() {
        for (String command : List.of("run", "demo", "backtest")) {
            StringWriter out = new StringWriter();
            CommandLine cli = Main.commandLine();
            cli.setOut(new PrintWriter(out));
            assertThat(cli.execute(command, "--help")).isZero();
            assertThat(out.toString()).contains("Usage: runwatch " + command);
        }
        CommandLine cli = new CommandLine(new Main()).setDefaultValueProvider(
                new Main.EnvironmentDefaults(Map.of("RUNWATCH_HTTP_PORT", "9999", "RUNWATCH_BOOTSTRAP_SERVERS",
                        "kafka:9092")));
        CommandLine.ParseResult parsed = cli.parseArgs("run");
        Main.RunCommand run = parsed.subcommand().commandSpec().commandLine().getCommand();
        assertThat(run.options.httpPort).isEqualTo(9999);
        assertThat(run.options.bootstrapServers).isEqualTo("kafka:9092");
        assertThat(Main.EnvironmentDefaults.envName("--steps-per-second")).isEqualTo("RUNWATCH_STEPS_PER_SECOND");
    }

    @Test
    void backtestWritesTheNaNPageOfNanoGptIssue215AndNothingElse() throws Exception {
        Path input = Path.of(getClass().getResource("/trainlogs/nanogpt_issue215_fp16_nan.jsonl").toURI());
        Path out = dir.resolve("alerts.jsonl");
        assertThat(Main.commandLine().execute("backtest", "--metrics", input.toString(), "--out", out.toString()))
                .isZero();
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).contains("\"type\":\"nonfinite\"", "\"severity\":\"page\"", "\"step\":3010");
    }

    /** Runs the CLI; returns exit code and stderr. */
    private record Outcome(int code, String err) {
    }

    private static Outcome execute(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Outcome(code, err.toString());
    }

    private static void assertOneLine(Outcome outcome, String line) {
        assertThat(outcome.code()).isEqualTo(2);
        assertThat(outcome.err()).isEqualTo("runwatch: " + line + System.lineSeparator());
    }

    @Test
    void anUnknownSettingInSetOrConfigIsRefusedWithTheNearestName() throws Exception {
        Path input = Path.of(getClass().getResource("/trainlogs/nanogpt_issue215_fp16_nan.jsonl").toURI());
        String out = dir.resolve("a.jsonl").toString();
        assertOneLine(execute("backtest", "--metrics", input.toString(), "--out", out, "--set",
                "training.warmup.step=5"), "unknown setting training.warmup.step in --set; did you mean "
                + "training.warmup.steps?");
        Path config = dir.resolve("runwatch.properties");
        Files.writeString(config, "liveness.stall.flor.s=60\n");
        assertOneLine(execute("backtest", "--metrics", input.toString(), "--out", out, "--config", config.toString()),
                "unknown setting liveness.stall.flor.s in the --config file; did you mean liveness.stall.floor.s?");
        assertOneLine(execute("backtest", "--metrics", input.toString(), "--out", out, "--set",
                "topics.partitions=0"), "setting topics.partitions=0: out of range (allowed [1, 10000])");
    }

    @Test
    void anUnknownRunwatchEnvironmentVariableIsRefusedButFlagsAndSettingsPass() throws Exception {
        assertThatThrownBy(() -> Main.loadSettings(null, Map.of(), Map.of("RUNWATCH_HTTP_PROT", "9999")))
                .hasMessage("unknown environment variable RUNWATCH_HTTP_PROT (neither a setting nor a flag); did you "
                        + "mean RUNWATCH_HTTP_PORT?");
        assertThatThrownBy(() -> Main.loadSettings(null, Map.of(), Map.of("RUNWATCH_TRAINING_WARMUP_STEP", "9")))
                .hasMessageEndingWith("did you mean RUNWATCH_TRAINING_WARMUP_STEPS?");
        Settings settings = Main.loadSettings(null, Map.of(), Map.of("RUNWATCH_HTTP_PORT", "9999",
                "RUNWATCH_WEB_CONFIG_FILE", "web.yml", "RUNWATCH_TRAINING_WARMUP_STEPS", "9", "PATH", "/bin"));
        assertThat(settings.longValue(Settings.TRAINING_WARMUP_STEPS)).isEqualTo(9);
    }

    @Test
    void aMissingFileIsOneLineNamingItAndExitCodeTwo() throws Exception {
        Path input = Path.of(getClass().getResource("/trainlogs/nanogpt_issue215_fp16_nan.jsonl").toURI());
        String out = dir.resolve("a.jsonl").toString();
        Path missing = dir.resolve("missing.properties");
        assertOneLine(execute("backtest", "--metrics", input.toString(), "--out", out, "--config", missing.toString()),
                "cannot read " + missing + ": no such file");
        Path missingLog = dir.resolve("train.jsonl");
        assertOneLine(execute("backtest", "--metrics", input.toString(), missingLog.toString(), "--out", out),
                "cannot read " + missingLog + ": no such file");
        assertOneLine(execute("backtest", "--evals", dir.toString(), "--out", out),
                "cannot read " + dir + ": not a regular file");
        // run: the Kafka client config and the web config are read before anything starts.
        Path kafkaConfig = dir.resolve("client.properties");
        assertOneLine(execute("run", "--bootstrap-servers", "127.0.0.1:1", "--kafka-config", kafkaConfig.toString(),
                "--data-dir", dir.resolve("data").toString()), "cannot read " + kafkaConfig + ": no such file");
        Path webConfig = dir.resolve("web.yml");
        assertOneLine(execute("run", "--bootstrap-servers", "127.0.0.1:1", "--web-config-file", webConfig.toString(),
                "--data-dir", dir.resolve("data").toString()), "cannot read " + webConfig + ": no such file");
    }

    @Test
    void aRelativeRunbookUrlIsWarnedAbout() {
        assertThat(Main.runbookWarning(Settings.defaults())).startsWith(
                "warning: alerts.runbook.base.url=alerts/runbook.md is not an absolute URL");
        assertThat(Main.runbookWarning(Settings.defaults().with(Settings.RUNBOOK_BASE_URL,
                "https://git.example.com/ml/runwatch/blob/main/alerts/runbook.md"))).isNull();
        assertThat(Main.runbookWarning(Settings.defaults().with(Settings.RUNBOOK_BASE_URL, "file:runbook.md")))
                .isNotNull();
    }
}
