package io.runwatch.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.contract.InputParser;
import io.runwatch.contract.ParseResult;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunEventType;
import io.runwatch.core.RunInput;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Python client's lines, written by the real interpreter, all pass the input contract; NaN survives. */
class PythonClientTest {
    private final InputParser contract = new InputParser(1 << 20);

    @TempDir
    Path dir;

    private List<RunInput> parseAll(List<String> lines, InputParser.Kind kind) {
        List<RunInput> inputs = new ArrayList<>();
        for (String line : lines) {
            InputParser.Kind k = kind != null ? kind : PythonClient.kindOf(line);
            ParseResult parsed = contract.parse(k, line.getBytes(StandardCharsets.UTF_8), 1L);
            assertThat(parsed.isOk()).as(k + " " + line + " → " + parsed.rejection()).isTrue();
            inputs.add(parsed.input());
        }
        return inputs;
    }

    @Test
    void oneFileOfMixedLinesForTailJsonlEveryLineParsesAndNaNIsKept() throws Exception {
        Path file = dir.resolve("runwatch.jsonl");
        PythonClient.run(dir, "path", file.toString());
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(PythonClient.RECORDS);
        assertThat(lines).anyMatch(l -> l.contains("\"loss\":NaN") && l.contains("\"grad_norm\":Infinity"));
        List<RunInput> inputs = parseAll(lines, null);
        assertThat(inputs).allMatch(i -> PythonClient.RUN.equals(i.run()));

        List<MetricPoint> steps = inputs.stream().filter(i -> i.metric() != null).map(RunInput::metric).toList();
        assertThat(steps).hasSize(7);
        MetricPoint nan = steps.stream().filter(p -> p.step() == 60 && p.loss() != null).findFirst().orElseThrow();
        assertThat(nan.loss()).isNaN();
        assertThat(nan.gradNorm()).isInfinite();
        assertThat(nan.skippedSteps()).isEqualTo(1.0); // a contract field since fp16 skipped steps are judged
        MetricPoint healthy = steps.get(0);
        assertThat(healthy.groups().get("layers.0.attn").updateRmsOverLr()).isEqualTo(0.7);
        assertThat(healthy.lossScale()).isEqualTo(65536.0);
        assertThat(healthy.stepTimeS()).isEqualTo(0.41);
        assertThat(steps).anyMatch(p -> p.valLoss() != null && p.valLoss() == 2.5);

        assertThat(inputs.stream().filter(i -> i.event() != null).map(i -> i.event().type()))
                .containsExactly(RunEventType.start, RunEventType.checkpoint, RunEventType.end);
        var start = inputs.stream().filter(i -> i.event() != null).findFirst().orElseThrow().event();
        assertThat(start.config().adamEps()).isEqualTo(1e-8);
        assertThat(start.config().extras()).containsEntry("precision", "bf16");
        var evals = inputs.stream().filter(i -> i.eval() != null).map(RunInput::eval).toList();
        assertThat(evals).extracting(e -> e.benchmark() + " " + e.n() + " " + e.higherIsBetter())
                .containsExactly("arc_easy 2376 true", "lambada_openai null false");
        assertThat(evals.get(0).timeMs()).isGreaterThan(1_600_000_000_000L); // the caller's clock, in ms
    }

    @Test
    void oneFilePerTopicForBacktestAndStdoutByDefault() throws Exception {
        Path out = dir.resolve("rw");
        PythonClient.run(dir, "directory", out.toString());
        assertThat(parseAll(Files.readAllLines(out.resolve("metrics.jsonl")), InputParser.Kind.METRICS)).hasSize(7);
        assertThat(parseAll(Files.readAllLines(out.resolve("evals.jsonl")), InputParser.Kind.EVALS)).hasSize(2);
        assertThat(parseAll(Files.readAllLines(out.resolve("events.jsonl")), InputParser.Kind.EVENTS)).hasSize(3);

        String stdout = PythonClient.run(dir, "stdout", "-");
        assertThat(parseAll(PythonClient.lines(stdout), null)).hasSize(PythonClient.RECORDS);
    }
}
