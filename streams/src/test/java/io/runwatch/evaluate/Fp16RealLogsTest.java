package io.runwatch.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.app.Backtest;
import io.runwatch.config.Settings;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.Severity;
import io.runwatch.topology.Topics;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17's real logs (bundled in {@code trainlogs/}, see NOTICE.md) through the production topology, as
 * {@code runwatch backtest} runs them: what an on-call engineer should get from each.
 */
class Fp16RealLogsTest {
    @TempDir
    Path dir;

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(Fp16RealLogsTest.class.getResource("/trainlogs/" + name + ".jsonl").toURI());
    }

    private static List<Alert> backtest(Path file) {
        List<Backtest.Line> lines = Backtest.readFiles(Topics.METRICS.name(), List.of(file), 0);
        return new Backtest(Settings.defaults()).replayInOrder(lines, a -> { }).alerts();
    }

    private static List<Alert> paged(List<Alert> alerts) {
        return alerts.stream().filter(a -> a.isFiring() && a.severity() != Severity.info).toList();
    }

    @Test
    void pinkIssue6LossZeroWithNaNGradientNormsPagesNotTrainingNotNonfinite() throws Exception {
        List<Alert> alerts = backtest(resource("hf_pink_issue6_stage1_loss0_gradnan"));
        assertThat(paged(alerts)).singleElement().satisfies(a -> {
            assertThat(a.type()).isEqualTo(AlertType.not_training);
            assertThat(a.severity()).isEqualTo(Severity.page);
            assertThat(a.metric()).isEqualTo("collapsed_loss");
            assertThat(a.step()).isEqualTo(1);
            assertThat(a.detectedAtStep()).isEqualTo(3);
        });
    }

    @Test
    void llavaLossAtZeroPagesOnceItIsPrintedAsZero() throws Exception {
        List<Alert> alerts = backtest(resource("mmengine_csg2008_llava_llama3_8b"));
        assertThat(paged(alerts)).singleElement().satisfies(a -> {
            assertThat(a.type()).isEqualTo(AlertType.not_training);
            assertThat(a.metric()).isEqualTo("collapsed_loss");
            assertThat(a.step()).isEqualTo(290);
            assertThat(a.detectedAtStep()).isEqualTo(310);
        });
    }

    @Test
    void megatronFp16WarmUpWithSkippedIntervalsIsOnlyInfo() throws Exception {
        Path file = resource("megatron_bigscience_gpt2_n8_tp4_pp8");
        assertThat(paged(backtest(file))).isEmpty();

        // What the Megatron parser adds from "number of skipped iterations: 10 / 8 / 1" on the first three lines.
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        int[] skipped = {10, 8, 1};
        for (int i = 0; i < lines.size(); i++) {
            lines.set(i, lines.get(i).replaceFirst("}$", ", \"skipped_steps\": " + (i < 3 ? skipped[i] : 0) + "}"));
        }
        List<Alert> withSkips = backtest(Files.write(dir.resolve("megatron.jsonl"), lines));
        assertThat(paged(withSkips)).isEmpty();
        assertThat(withSkips).filteredOn(a -> a.type() == AlertType.skipped_steps && a.isFiring())
                .singleElement().satisfies(a -> {
                    assertThat(a.step()).isEqualTo(10);
                    assertThat(a.severity()).isEqualTo(Severity.info);
                });
    }

    @Test
    void xtunerIssue187NaNGradientNormsWithAFallingLossAreInfoNotAPage() throws Exception {
        List<Alert> alerts = backtest(resource("mmengine_xtuner_issue187_epoch_gradnan"));
        assertThat(paged(alerts)).isEmpty();
        assertThat(alerts).filteredOn(a -> a.type() == AlertType.skipped_steps && a.isFiring()).singleElement()
                .satisfies(a -> assertThat(a.step()).isEqualTo(240));
    }
}
