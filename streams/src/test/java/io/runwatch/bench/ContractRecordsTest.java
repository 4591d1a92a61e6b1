package io.runwatch.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.config.Settings;
import io.runwatch.contract.InputParser;
import io.runwatch.contract.ParseResult;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.liveness.LivenessMonitor;
import io.runwatch.core.liveness.LivenessState;
import io.runwatch.core.training.TrainingHealthMonitor;
import io.runwatch.core.training.TrainingState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark's records are valid contract records of ordinary runs: the detectors do their usual work. */
class ContractRecordsTest {
    private final Settings settings = Settings.defaults();
    private final InputParser parser = new InputParser(settings.integer(Settings.MAX_RECORD_BYTES));

    private MetricPoint parse(byte[] bytes) {
        ParseResult result = parser.parse(InputParser.Kind.METRICS, bytes, 0);
        assertThat(result.rejection()).isNull();
        return result.input().metric();
    }

    @Test
    void recordsAreValidAboutTwoHundredBytesAndCarryGroupsEveryTenthStep() {
        long bytes = 0;
        for (long step = 0; step < 1_000; step++) {
            byte[] record = ContractRecords.metric("bench-run-000001", step, 1_765_000_000_000L + step * 1_000);
            MetricPoint point = parse(record);
            assertThat(point.step()).isEqualTo(step);
            assertThat(point.loss()).isFinite();
            assertThat(point.gradNorm()).isFinite();
            assertThat(point.tokensPerS()).isPositive();
            assertThat(point.groups()).hasSize(step % 10 == 0 ? 3 : 0);
            bytes += record.length;
        }
        assertThat(bytes / 1_000.0).isBetween(150.0, 260.0);
    }

    @Test
    void theSameRunAndStepGiveTheSameBytes() {
        assertThat(ContractRecords.metric("a", 42, 7)).isEqualTo(ContractRecords.metric("a", 42, 7));
        assertThat(Arrays.equals(ContractRecords.metric("a", 42, 7), ContractRecords.metric("b", 42, 7))).isFalse();
    }

    @Test
    void anOrdinaryRunRaisesNothingAndTheProbePagesNonFinite() {
        TrainingHealthMonitor training = new TrainingHealthMonitor(settings.training());
        LivenessMonitor liveness = new LivenessMonitor(settings.liveness());
        TrainingState trainingState = new TrainingState();
        LivenessState livenessState = new LivenessState();
        List<Alert> alerts = new ArrayList<>();
        for (long step = 0; step < 5_000; step++) {
            MetricPoint point = parse(ContractRecords.metric("ordinary", step, 1_765_000_000_000L + step * 3_400));
            alerts.addAll(training.onMetric(trainingState, point));
            alerts.addAll(liveness.onMetric(livenessState, point));
        }
        assertThat(alerts).isEmpty();

        MetricPoint probe = parse(ContractRecords.nanProbe("probe", 1, 1_765_000_000_000L));
        assertThat(training.onMetric(new TrainingState(), probe)).extracting(Alert::type)
                .containsExactly(AlertType.nonfinite);
    }
}
