package io.runwatch.core.liveness;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.core.AlertType;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.Severity;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LivenessThroughputTest {
    private final SplittableRandom random = new SplittableRandom(11);

    /** Steps of 1 s reporting {@code tokensPerS} with relative jitter. */
    private LivenessDriver tokens(LivenessDriver run, int count, double tokensPerS, double jitter) {
        for (int i = 0; i < count; i++) {
            run.pass(1.0).metric(MetricPoint.ofLoss(LivenessDriver.RUN, run.step + 1, run.nowMs, 2.0)
                    .withThroughput(tokensPerS * (1 + jitter * random.nextGaussian()), null));
        }
        return run;
    }

    @Test
    void sustainedDropOpensOneTicketAndRecoveryResolvesIt() {
        LivenessDriver run = new LivenessDriver().start(null);
        tokens(run, 1_000, 200_000, 0.05);
        tokens(run, 400, 140_000, 0.05);

        assertThat(run.firing(AlertType.throughput_drop)).singleElement().satisfies(alert -> {
            assertThat(alert.severity()).isEqualTo(Severity.ticket);
            assertThat(alert.metric()).isEqualTo("tokens_per_s");
            assertThat(alert.step()).isBetween(1_001L, 1_030L);
            assertThat(alert.detectedAtStep()).isBetween(1_100L, 1_140L);
            assertThat(alert.value()).isBetween(130_000.0, 150_000.0);
            assertThat(alert.threshold()).isBetween(180_000.0, 190_000.0);
            assertThat((Double) alert.details().get("slower_fraction")).isBetween(0.25, 0.35);
            assertThat(alert.summary()).containsPattern("(29|30|31)% slower").contains("straggler");
        });
        assertThat(run.resolved(AlertType.throughput_drop)).isEmpty();

        tokens(run, 400, 200_000, 0.05);
        assertThat(run.resolved(AlertType.throughput_drop)).singleElement()
                .satisfies(a -> assertThat(a.id()).isEqualTo(run.firing(AlertType.throughput_drop).get(0).id()));
    }

    @Test
    void tenPercentSlowdownIsCaught() {
        LivenessDriver run = new LivenessDriver().start(null);
        tokens(run, 1_000, 200_000, 0.03);
        tokens(run, 500, 180_000, 0.03);

        assertThat(run.firing(AlertType.throughput_drop)).hasSize(1);
    }

    @Test
    void jitteryButSteadyRunNeverOpensATicket() {
        LivenessDriver run = new LivenessDriver().start(null);
        tokens(run, 20_000, 200_000, 0.12);

        assertThat(run.of(AlertType.throughput_drop)).isEmpty();
    }

    @Test
    void slowRecordsAroundCheckpointSavesDoNotCount() {
        LivenessDriver run = new LivenessDriver().start(null);
        tokens(run, 500, 200_000, 0.03);
        for (int save = 0; save < 40; save++) {
            run.checkpoint().pass(60).metric(MetricPoint.ofLoss(LivenessDriver.RUN, run.step + 1, run.nowMs, 2.0)
                    .withThroughput(3_000.0, null));
            tokens(run, 20, 200_000, 0.03);
        }

        assertThat(run.of(AlertType.throughput_drop)).isEmpty();
        assertThat(run.of(AlertType.stall)).isEmpty();
    }

    @Test
    void slowerStepTimesAreADropToo() {
        LivenessDriver run = new LivenessDriver().start(null);
        for (int i = 0; i < 1_500; i++) {
            double stepTime = (i < 1_000 ? 0.8 : 1.0) * (1 + 0.02 * random.nextGaussian());
            run.pass(stepTime).metric(MetricPoint.ofLoss(LivenessDriver.RUN, run.step + 1, run.nowMs, 2.0)
                    .withThroughput(null, stepTime));
        }

        assertThat(run.firing(AlertType.throughput_drop)).singleElement()
                .satisfies(a -> assertThat(a.metric()).isEqualTo("step_time_s"));
    }

    @Test
    void withoutThroughputFieldsTheRecordIntervalsAreUsed() {
        LivenessDriver run = new LivenessDriver().start(null);
        for (int i = 0; i < 1_500; i++) {
            run.steps(1, (i < 1_000 ? 2.0 : 2.8) * (1 + 0.03 * random.nextGaussian()));
        }

        assertThat(run.firing(AlertType.throughput_drop)).singleElement()
                .satisfies(a -> assertThat(a.metric()).isEqualTo("steps_per_s_record_time"));
        assertThat(run.monitor.gauges(run.state, run.nowMs).throughputRatio()).isBetween(0.65, 0.78);
    }

    @Test
    void slowWarmUpAfterARestartIsNotADrop() {
        LivenessDriver run = new LivenessDriver().start(null);
        tokens(run, 1_000, 200_000, 0.03);
        run.pass(60).start(900L);
        tokens(run, 3, 20_000, 0.03);
        tokens(run, 500, 200_000, 0.03);

        assertThat(run.of(AlertType.throughput_drop)).isEmpty();
    }

    @Test
    void endingTheRunResolvesAnOpenDrop() {
        LivenessDriver run = new LivenessDriver().start(null);
        tokens(run, 1_000, 200_000, 0.03);
        tokens(run, 300, 100_000, 0.03);
        run.end();

        assertThat(run.firing(AlertType.throughput_drop)).hasSize(1);
        assertThat(run.resolved(AlertType.throughput_drop)).singleElement()
                .satisfies(a -> assertThat(a.summary()).contains("ended"));
    }
}
