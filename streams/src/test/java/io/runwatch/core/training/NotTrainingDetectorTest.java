package io.runwatch.core.training;

import static io.runwatch.core.training.TrainingTestRuns.RUN;
import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertState;
import io.runwatch.core.AlertType;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunConfig;
import io.runwatch.core.RunEvent;
import io.runwatch.core.Severity;
import io.runwatch.core.training.TrainingTestRuns.Driver;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Issue 17: fp16 skipped steps, and runs that stop learning. */
class NotTrainingDetectorTest {
    private static final Random NOISE = new Random(17);

    private static double healthyLoss(long step, Random random) {
        return (2.2 + 8.5 / Math.pow(1 + step / 300.0, 0.7)) * Math.exp(0.02 * random.nextGaussian());
    }

    private static MetricPoint at(long step, double loss, Double gradNorm) {
        return MetricPoint.ofLoss(RUN, step, 1_000_000L + step * 1000, loss).withGradNorm(gradNorm);
    }

    private static List<Alert> firing(Driver d, AlertType type) {
        return d.alerts.stream().filter(a -> a.type() == type && a.state() == AlertState.firing).toList();
    }

    @Test
    void aSkippedStepInAnUndeclaredRunIsAnInfoNoticeNotAPage() {
        Driver d = new Driver();
        Random r = new Random(1);
        for (long s = 1; s <= 400; s++) {
            d.metric(at(s, healthyLoss(s, r), s == 200 ? Double.NaN : 0.5));
        }
        assertThat(firing(d, AlertType.nonfinite)).isEmpty();
        assertThat(firing(d, AlertType.skipped_steps)).singleElement()
                .satisfies(a -> assertThat(a.severity()).isEqualTo(Severity.info));
        assertThat(d.alerts.stream().filter(a -> a.severity() != Severity.info)).isEmpty();
        assertThat(TrainingHealthMonitor.skippedStepsTotal(d.state)).isEqualTo(1);
    }

    @Test
    void declaredBf16PagesOnItsFirstNaNGradientNormAndANaNLossAlwaysPages() {
        Driver bf16 = new Driver();
        bf16.event(RunEvent.start(RUN, 0, RunConfig.ofPrecision("bf16")));
        Random r = new Random(2);
        for (long s = 1; s <= 100; s++) {
            bf16.metric(at(s, healthyLoss(s, r), s == 60 ? Double.NaN : 0.5));
        }
        assertThat(firing(bf16, AlertType.nonfinite)).singleElement().satisfies(a -> {
            assertThat(a.step()).isEqualTo(60);
            assertThat(a.severity()).isEqualTo(Severity.page);
        });

        Driver fp16 = new Driver();
        fp16.event(RunEvent.start(RUN, 0, RunConfig.ofPrecision("fp16")));
        fp16.metric(at(1, 9.0, 1.0));
        fp16.metric(at(2, Double.NaN, Double.NaN));
        assertThat(firing(fp16, AlertType.nonfinite)).singleElement()
                .satisfies(a -> assertThat(a.metric()).isEqualTo("loss"));
    }

    @Test
    void everyStepSkippedWithAFlatLossPagesWithin100OptimizerSteps() {
        for (long interval : new long[] {1, 10}) {
            Driver d = new Driver();
            Random r = new Random(3);
            long collapse = 2000;
            for (long s = interval; s <= 2500; s += interval) {
                long t = Math.min(s, collapse); // weights stop changing
                d.metric(at(s, healthyLoss(t, r), s >= collapse ? Double.POSITIVE_INFINITY : 0.5));
            }
            assertThat(firing(d, AlertType.not_training)).as("interval %d", interval).singleElement().satisfies(a -> {
                assertThat(a.severity()).isEqualTo(Severity.page);
                assertThat(a.metric()).isEqualTo(NotTrainingDetector.SKIPPING);
                assertThat(a.detectedAtStep()).isBetween(collapse, collapse + 100);
            });
            assertThat(firing(d, AlertType.nonfinite)).isEmpty();
        }
    }

    @Test
    void nanGradientNormsWhileTheLossKeepsFallingAreATicket() {
        Driver d = new Driver();
        Random r = new Random(4);
        for (long s = 10; s <= 700; s += 10) {
            d.metric(at(s, healthyLoss(s, r), s >= 200 ? Double.NaN : 0.5));
        }
        assertThat(firing(d, AlertType.not_training)).singleElement().satisfies(a -> {
            assertThat(a.severity()).isEqualTo(Severity.ticket);
            assertThat(a.summary()).contains("still improving");
        });
    }

    @Test
    void aCollapsedLossScalePages() {
        Driver d = new Driver();
        Random r = new Random(5);
        double scale = 65536;
        for (long s = 1; s <= 400; s++) {
            boolean overflow = s >= 300;
            if (overflow) {
                scale /= 2;
            }
            d.metric(at(s, healthyLoss(Math.min(s, 300), r), overflow ? Double.NaN : 0.5).withLossScale(scale));
        }
        List<Alert> notTraining = firing(d, AlertType.not_training);
        System.out.println(notTraining);
        assertThat(notTraining).singleElement().satisfies(a -> {
            assertThat(a.severity()).isEqualTo(Severity.page);
            assertThat(a.detectedAtStep()).isLessThanOrEqualTo(400);
        });
    }

    @Test
    void aMegatronWarmUpWithSkippedIntervalsIsNotAnAlert() {
        // megatron_bigscience_gpt2_n8_tp4_pp8: scale 2^23 -> 2^15 -> 2^14 over the first 30 iterations.
        Driver d = new Driver();
        double[] scales = {8388608, 32768, 16384};
        double[] skipped = {10, 8, 1};
        Random r = new Random(6);
        for (long s = 10; s <= 2000; s += 10) {
            int i = (int) (s / 10 - 1);
            MetricPoint p = new MetricPoint(RUN, s, s * 1000, s == 10 ? null : healthyLoss(s, r),
                    s <= 20 ? null : 2.0, null, null, null, null, null, null, null, null, null)
                    .withLossScale(i < 3 ? scales[i] : 16384.0).withSkippedSteps(i < 3 ? skipped[i] : 0.0);
            d.metric(p);
        }
        assertThat(d.alerts.stream().filter(a -> a.severity() != Severity.info)).isEmpty();
        assertThat(TrainingHealthMonitor.skippedStepsTotal(d.state)).isEqualTo(19);
    }

    @Test
    void aFrozenLossAlertsWithinAHundredLoggedStepsButA2DigitPlateauDoesNot() {
        Driver frozen = new Driver();
        Random r = new Random(7);
        for (long s = 1; s <= 600; s++) {
            double loss = s < 400 ? Math.round(healthyLoss(s, r) * 1e4) / 1e4 : 3.1416;
            frozen.metric(at(s, loss, 0.5));
        }
        assertThat(firing(frozen, AlertType.not_training)).singleElement().satisfies(a -> {
            assertThat(a.metric()).isEqualTo(NotTrainingDetector.FROZEN);
            assertThat(a.severity()).isEqualTo(Severity.page);
            assertThat(a.detectedAtStep()).isBetween(400L, 500L);
        });

        for (int decimals : new int[] {1, 2}) {
            Driver plateau = new Driver();
            for (long s = 1; s <= 20_000; s++) {
                double loss = 2.38 * Math.exp(0.003 * NOISE.nextGaussian());
                plateau.metric(at(s, Math.round(loss * Math.pow(10, decimals)) / Math.pow(10, decimals), 0.5));
            }
            assertThat(plateau.alerts.stream().filter(a -> a.severity() != Severity.info))
                    .as("plateau printed with %d decimals", decimals).isEmpty();
        }
    }

    @Test
    void aLossAtZeroPagesAndSoDoesABlowUpBeforeAnyBaseline() {
        // hf_pink_issue6: loss 0.0 with a NaN gradient norm on every step.
        Driver zero = new Driver();
        for (long s = 1; s <= 13; s++) {
            zero.metric(at(s, 0.0, Double.NaN));
        }
        assertThat(firing(zero, AlertType.not_training)).singleElement().satisfies(a -> {
            assertThat(a.metric()).isEqualTo(NotTrainingDetector.COLLAPSED);
            assertThat(a.severity()).isEqualTo(Severity.page);
            assertThat(a.detectedAtStep()).isEqualTo(3);
        });
        assertThat(firing(zero, AlertType.nonfinite)).isEmpty();

        Driver blowup = new Driver();
        blowup.metric(at(1, 10.9, 5.0));
        blowup.metric(at(2, 10.5, 4.0));
        List<Alert> out = blowup.metric(at(3, 1.2e6, Double.NaN));
        assertThat(out).filteredOn(a -> a.type() == AlertType.loss_blowup).singleElement()
                .satisfies(a -> assertThat(a.severity()).isEqualTo(Severity.page));
    }

    @Test
    void samePrintedValueProbabilityFollowsTheNoiseAtThePrintedPrecision() {
        assertThat(NotTrainingDetector.printedQuantum(2.38)).isCloseTo(0.01, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(NotTrainingDetector.printedQuantum(4.5012)).isCloseTo(1e-4, org.assertj.core.data.Offset.offset(1e-12));
        // Printed far more coarsely than the noise: always the same value.
        assertThat(NotTrainingDetector.samePrintedValueProbability(0.1, 0.007)).isGreaterThan(0.999);
        // Noise of one printed unit: about 0.38.
        assertThat(NotTrainingDetector.samePrintedValueProbability(0.01, 0.01)).isBetween(0.37, 0.40);
    }
}
