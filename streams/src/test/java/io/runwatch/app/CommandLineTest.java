package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;

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
}
