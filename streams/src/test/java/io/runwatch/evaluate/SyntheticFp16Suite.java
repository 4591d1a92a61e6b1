package io.runwatch.evaluate;

import io.runwatch.core.AlertType;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunConfig;
import io.runwatch.core.RunEvent;
import io.runwatch.core.RunInput;
import io.runwatch.core.Severity;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded fp16 runs with real dynamic loss scaling, and runs that stop learning (issue 17).
 *
 * <p>The scaler is PyTorch's {@code GradScaler} (initial scale 2^16, backoff 0.5 on every overflow, which skips
 * the step, growth x2 after 2000 clean steps) or DeepSpeed's (2^32, hysteresis 2, window 1000, minimum 1). A
 * run overflows when its scale exceeds the largest safe scale 2^(k+0.5) (k drawn per run, jittered per step):
 * so it overflows several times at the start while the scale comes down, once after every growth, and at
 * random with probability 1/5000 per step. An overflowed step logs a NaN or Inf gradient norm and a finite loss.
 * Runs are logged every step or every 10 steps (loss averaged over the interval, gradient norm of the logged
 * step, as HF Trainer does), with or without {@code loss_scale}, {@code skipped_steps} and a declared precision.
 */
final class SyntheticFp16Suite {
    static final long SEED = 20261206L;
    static final int HEALTHY_STEPS = 10_000;
    static final int FAILING_STEPS = 5_000;

    private SyntheticFp16Suite() {
    }

    /** What a run should raise: nothing ({@code type} null), or one alert of this type and severity in time. */
    record Expectation(AlertType type, Severity severity, long onsetStep, long latestStep) {
        static final Expectation NOTHING = new Expectation(null, null, -1, -1);
    }

    record Fp16Run(String name, String scenario, long interval, List<RunInput> inputs, Expectation expected) {
    }

    static List<Fp16Run> generate() {
        return generate(SEED);
    }

    static List<Fp16Run> generate(long seed) {
        SplittableRandom seeds = new SplittableRandom(seed);
        List<Fp16Run> runs = new ArrayList<>();
        // Healthy fp16: every combination of logging interval, loss_scale and declared precision, plus
        // Megatron-style skipped_steps and DeepSpeed's scaler (2^32, hysteresis 2: ~40 warm-up overflows).
        int n = 0;
        for (long interval : new long[] {1, 10}) {
            for (boolean scale : new boolean[] {false, true}) {
                for (boolean declared : new boolean[] {false, true}) {
                    runs.add(new Spec("healthy-" + n++, "healthy fp16", seeds.nextLong(), interval, HEALTHY_STEPS)
                            .scale(scale).declared(declared ? "fp16" : null).build());
                }
            }
        }
        runs.add(new Spec("healthy-" + n++, "healthy fp16", seeds.nextLong(), 10, HEALTHY_STEPS).scale(true)
                .skippedField(true).build());
        runs.add(new Spec("healthy-" + n++, "healthy fp16", seeds.nextLong(), 1, HEALTHY_STEPS).deepSpeed()
                .scale(true).build());
        runs.add(new Spec("healthy-" + n++, "healthy fp16", seeds.nextLong(), 10, HEALTHY_STEPS).deepSpeed()
                .scale(true).skippedField(true).declared("fp16").build());
        runs.add(new Spec("healthy-" + n++, "healthy fp16", seeds.nextLong(), 1, HEALTHY_STEPS).decimals(3).build());
        // A long plateau printed with 3 and with 2 significant digits: repeats are routine there.
        runs.add(new Spec("plateau-3sig", "healthy plateau, 2-3 significant digits", seeds.nextLong(), 1,
                HEALTHY_STEPS).plateau(2.38, 0.003).decimals(2).build());
        runs.add(new Spec("plateau-2sig", "healthy plateau, 2-3 significant digits", seeds.nextLong(), 1,
                HEALTHY_STEPS).plateau(2.4, 0.003).decimals(1).build());
        runs.add(new Spec("plateau-3sig-10", "healthy plateau, 2-3 significant digits", seeds.nextLong(), 10,
                HEALTHY_STEPS).plateau(1.87, 0.004).decimals(2).declared("fp16").build());

        // The scale collapses: from then on every step overflows and is skipped (weights frozen).
        int c = 0;
        for (long interval : new long[] {1, 10}) {
            for (boolean scale : new boolean[] {false, true}) {
                Spec spec = new Spec("collapse-" + c++, "scale collapse, every step skipped", seeds.nextLong(),
                        interval, FAILING_STEPS).scale(scale).declared(scale ? null : "fp16");
                runs.add(spec.collapseAt(3000).expect(AlertType.not_training, Severity.page, 3000, 3100).build());
            }
        }
        runs.add(new Spec("collapse-" + c, "scale collapse, every step skipped", seeds.nextLong(), 10, FAILING_STEPS)
                .deepSpeed().scale(true).skippedField(true).collapseAt(2500)
                .expect(AlertType.not_training, Severity.page, 2500, 2600).build());
        // Declared bf16: the first NaN gradient norm pages.
        for (long interval : new long[] {1, 10}) {
            long at = interval * ((800 + seeds.nextInt(200)) / interval);
            runs.add(new Spec("bf16-" + interval, "bf16, NaN gradient norm", seeds.nextLong(), interval, FAILING_STEPS)
                    .bf16().nanGradAt(at).expect(AlertType.nonfinite, Severity.page, at, at).build());
        }
        // The loss freezes at one printed value (no update reaches the model) or collapses to exactly 0.
        runs.add(new Spec("frozen-4dp", "frozen loss", seeds.nextLong(), 1, FAILING_STEPS).decimals(4).frozenAt(3000)
                .expect(AlertType.not_training, Severity.page, 3000, 3100).build());
        runs.add(new Spec("frozen-2dp-10", "frozen loss", seeds.nextLong(), 10, FAILING_STEPS).noise(0.02)
                .decimals(2).declared("fp16").frozenAt(3000)
                .expect(AlertType.not_training, Severity.page, 3000, 4000).build());
        runs.add(new Spec("zero-1", "loss collapsed to 0", seeds.nextLong(), 1, FAILING_STEPS).zeroAt(2000)
                .expect(AlertType.not_training, Severity.page, 2000, 2100).build());
        runs.add(new Spec("zero-10", "loss collapsed to 0", seeds.nextLong(), 10, FAILING_STEPS).scale(true)
                .zeroAt(2000).expect(AlertType.not_training, Severity.page, 2000, 3000).build());
        // NaN gradient norms while the loss keeps falling: updates applied, only the metric is broken (ticket).
        runs.add(new Spec("gradnan-learning", "NaN grad norm, loss still falling", seeds.nextLong(), 10,
                FAILING_STEPS).gradMetricBrokenAt(200).expect(AlertType.not_training, Severity.ticket, 200, 600)
                .build());
        // A finite loss five decades up with a NaN gradient norm: pages at once, even in an fp16 run.
        runs.add(new Spec("blowup", "loss blow-up with NaN grad norm", seeds.nextLong(), 1, FAILING_STEPS)
                .declared("fp16").blowupAt(40).expect(AlertType.loss_blowup, Severity.page, 40, 40).build());
        runs.add(new Spec("blowup-late", "loss blow-up with NaN grad norm", seeds.nextLong(), 10, FAILING_STEPS)
                .scale(true).blowupAt(2500).expect(AlertType.loss_blowup, Severity.page, 2500, 2500).build());
        return runs;
    }

    /** One run: a loss curve, a loss scaler, a logger, and at most one failure. */
    private static final class Spec {
        final String name;
        final String scenario;
        final SplittableRandom random;
        final long interval;
        final int steps;
        boolean logScale;
        boolean logSkipped;
        String precision;
        boolean deepSpeed;
        boolean bf16;
        int decimals = 4;
        double noise;
        double plateauLevel = Double.NaN;
        long collapseAt = -1;
        long nanGradAt = -1;
        long frozenAt = -1;
        long zeroAt = -1;
        long brokenGradAt = -1;
        long blowupAt = -1;
        Expectation expected = Expectation.NOTHING;

        Spec(String name, String scenario, long seed, long interval, int steps) {
            this.name = name;
            this.scenario = scenario;
            this.random = new SplittableRandom(seed);
            this.interval = interval;
            this.steps = steps;
            this.noise = 0.01 + 0.02 * random.nextDouble();
        }

        Spec scale(boolean on) {
            logScale = on;
            return this;
        }

        Spec skippedField(boolean on) {
            logSkipped = on;
            return this;
        }

        Spec declared(String p) {
            precision = p;
            return this;
        }

        Spec deepSpeed() {
            deepSpeed = true;
            return this;
        }

        Spec bf16() {
            bf16 = true;
            precision = "bf16";
            return this;
        }

        Spec decimals(int d) {
            decimals = d;
            return this;
        }

        Spec noise(double relative) {
            noise = relative;
            return this;
        }

        Spec plateau(double level, double relativeNoise) {
            plateauLevel = level;
            noise = relativeNoise;
            return this;
        }

        Spec collapseAt(long step) {
            collapseAt = step;
            return this;
        }

        Spec nanGradAt(long step) {
            nanGradAt = step;
            return this;
        }

        Spec frozenAt(long step) {
            frozenAt = step;
            return this;
        }

        Spec zeroAt(long step) {
            zeroAt = step;
            return this;
        }

        Spec gradMetricBrokenAt(long step) {
            brokenGradAt = step;
            return this;
        }

        Spec blowupAt(long step) {
            blowupAt = step;
            return this;
        }

        Spec expect(AlertType type, Severity severity, long onset, long latest) {
            expected = new Expectation(type, severity, onset, latest);
            return this;
        }

        double trueLogLoss(long step) {
            if (!Double.isNaN(plateauLevel)) {
                return Math.log(plateauLevel);
            }
            long t = collapseAt >= 0 && step > collapseAt ? collapseAt : step; // frozen weights
            return Math.log(2.2 + 8.5 / Math.pow(1 + t / 300.0, 0.7));
        }

        Fp16Run build() {
            List<RunInput> inputs = new ArrayList<>();
            long clock = TrainingLogs.EPOCH_MS;
            inputs.add(RunInput.of(RunEvent.start(name, clock, precision == null ? RunConfig.EMPTY
                    : RunConfig.ofPrecision(precision))));
            // GradScaler / DeepSpeed dynamic loss scaling.
            double safeLog2 = 10 + random.nextInt(5) + 0.5;
            double scale = deepSpeed ? Math.pow(2, 32) : Math.pow(2, 16);
            int growthInterval = deepSpeed ? 1000 : 2000;
            int hysteresis = deepSpeed ? 2 : 1;
            int hysteresisLeft = hysteresis;
            int cleanInARow = 0;
            double lossSum = 0;
            int lossCount = 0;
            int skippedInInterval = 0;
            double frozenValue = Double.NaN;
            for (long step = 1; step <= steps; step++) {
                boolean overflow = !bf16 && (Math.log(scale) / Math.log(2) > safeLog2 + 0.1 * random.nextGaussian()
                        || random.nextDouble() < 1 / 5000.0 || (collapseAt >= 0 && step >= collapseAt));
                if (overflow) {
                    skippedInInterval++;
                    cleanInARow = 0;
                    if (--hysteresisLeft <= 0) {
                        scale = deepSpeed ? Math.max(1, scale / 2) : scale / 2;
                        hysteresisLeft = hysteresis;
                    }
                } else if (!bf16 && ++cleanInARow >= growthInterval) {
                    scale *= 2;
                    cleanInARow = 0;
                    hysteresisLeft = hysteresis;
                }
                double loss = Math.exp(trueLogLoss(step) + noise * random.nextGaussian());
                lossSum += loss;
                lossCount++;
                if (step % interval != 0) {
                    continue;
                }
                double logged = lossSum / lossCount;
                lossSum = 0;
                lossCount = 0;
                if (frozenAt >= 0 && step >= frozenAt) {
                    if (Double.isNaN(frozenValue)) {
                        frozenValue = logged;
                    }
                    logged = frozenValue;
                }
                logged = Math.round(logged * Math.pow(10, decimals)) / Math.pow(10, decimals);
                boolean zero = zeroAt >= 0 && step >= zeroAt;
                if (zero) {
                    logged = 0.0;
                }
                if (blowupAt >= 0 && step == blowupAt) {
                    logged = logged * 1e5;
                }
                double grad = 0.5 * Math.pow(1 + step / 1000.0, -0.3) * Math.exp(0.1 * random.nextGaussian());
                boolean gradNaN = overflow || step == nanGradAt || zero || step == blowupAt
                        || (brokenGradAt >= 0 && step >= brokenGradAt);
                clock += interval * 1000;
                MetricPoint p = MetricPoint.ofLoss(name, step, clock, logged)
                        .withGradNorm(gradNaN ? (step % 2 == 0 ? Double.NaN : Double.POSITIVE_INFINITY) : grad)
                        .withLr(3e-4)
                        .withLossScale(logScale ? scale : null)
                        .withSkippedSteps(logSkipped ? (double) skippedInInterval : null);
                skippedInInterval = 0;
                inputs.add(RunInput.of(p));
            }
            inputs.add(RunInput.of(RunEvent.end(name, steps, clock + 1000, "completed")));
            return new Fp16Run(name, scenario, interval, inputs, expected);
        }
    }
}
