package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every bundled real trajectory imports to exactly its expected records (see evals/raw/NOTICE.md). */
class EvalTrajectoriesTest {

    @Test
    void everyBundledTrajectoryImportsToExactlyItsExpectedRecords() throws Exception {
        Path raw = Path.of(getClass().getResource("/evals/raw").toURI());
        List<Path> runs = EvalTrajectories.runsUnder(raw);
        assertThat(runs).extracting(p -> p.getFileName().toString()).containsExactly(
                "adavocab-tinyllama-en-freeze", "adavocab-tinyllama-zh-freeze", "adavocab-tinyllama-zh-full",
                "pythia-bias-winobias-410M", "pythia-v1-160m-0shot", "pythia-v1-160m-5shot");
        int records = 0;
        for (Path run : runs) {
            EvalTrajectories.Row row = EvalTrajectories.compare(run);
            assertThat(row.expected()).as(row.run()).isPositive();
            assertThat(row.missingExamples()).as(row.run() + " missing").isEmpty();
            assertThat(row.spuriousExamples()).as(row.run() + " spurious").isEmpty();
            assertThat(row.missing() + row.spurious()).as(row.run()).isZero();
            assertThat(row.matched()).as(row.run()).isEqualTo(row.expected());
            // Every file's step came from its model args (which agree with the file names where there are any).
            assertThat(row.stepSources()).as(row.run()).isEqualTo(Map.of("model_args", row.files()));
            records += row.matched();
        }
        assertThat(records).isEqualTo(24 + 12 + 8 + 192 + 1032 + 384);
    }
}
