package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.contract.InputParser;
import io.runwatch.ingest.ContractRecord;
import io.runwatch.ingest.LineOutcome;
import io.runwatch.ingest.TrainerLogFormats;
import io.runwatch.ingest.TrainerLogParser;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** What the demo's trainers print is what the tailer's parsers read, and covers what the dashboard shows. */
class DemoReplayTest {

    private static List<ContractRecord> parse(String format, String run, List<String> lines) {
        TrainerLogParser parser = TrainerLogFormats.create(format, run, null);
        List<ContractRecord> out = new ArrayList<>();
        for (String line : lines) {
            LineOutcome outcome = parser.accept(line);
            assertThat(outcome.status()).as(line).isEqualTo(LineOutcome.Status.UNDERSTOOD);
            out.addAll(outcome.records());
        }
        out.addAll(parser.flush());
        return out;
    }

    private static List<String> texts(Object dues) throws Exception {
        List<String> out = new ArrayList<>();
        for (Object due : (List<?>) dues) {
            Method text = due.getClass().getDeclaredMethod("text");
            text.setAccessible(true);
            out.add((String) text.invoke(due));
        }
        return out;
    }

    @Test
    void theSyntheticRunIsValidContractJsonWithGroupsThroughputCheckpointsAndEvaluations() throws Exception {
        List<String> lines = texts(DemoReplay.syntheticLines(new Random(1), 600, 20));
        List<ContractRecord> records = parse("jsonl", DemoReplay.SYNTHETIC_RUN, lines);
        assertThat(records).hasSize(lines.size()).allMatch(r -> r.run().equals(DemoReplay.SYNTHETIC_RUN));
        List<ContractRecord> metrics = records.stream().filter(r -> r.kind() == InputParser.Kind.METRICS).toList();
        assertThat(metrics).hasSize(600).allMatch(r -> r.json().contains("\"groups\":{\"embed\":{\"grad_norm\":")
                && r.json().contains("\"tokens_per_s\":") && r.json().contains("\"update_rms_over_lr\":"));
        assertThat(records.stream().filter(r -> r.kind() == InputParser.Kind.EVENTS))
                .extracting(ContractRecord::step).containsExactly(250L, 500L);
        assertThat(records.stream().filter(r -> r.kind() == InputParser.Kind.EVALS)).hasSize(6)
                .allMatch(r -> r.json().contains("\"n\":2000") && r.json().contains("\"capability\":"));
    }

    @Test
    void theBundledRawLogsConvertWithAutoDetection() throws Exception {
        List<String> nan = DemoReplay.lines(DemoReplay.NANOGPT_LOG).stream().filter(l -> !l.startsWith("#")).toList();
        List<ContractRecord> nanRecords = parse("auto", DemoReplay.NAN_RUN, nan);
        assertThat(nanRecords).anyMatch(r -> r.step() == 3010 && r.json().contains("\"loss\":NaN"));
        List<String> llmc = DemoReplay.lines(DemoReplay.LLMC_LOG);
        List<ContractRecord> llmcRecords = parse("auto", DemoReplay.LLMC_RUN, llmc);
        assertThat(llmcRecords.stream().filter(r -> r.kind() == InputParser.Kind.METRICS)).hasSize(19_560);
    }
}
