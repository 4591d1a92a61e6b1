package io.runwatch.evaluate;

import io.runwatch.core.AlertType;
import io.runwatch.core.GroupStats;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunConfig;
import io.runwatch.core.RunEvent;
import io.runwatch.core.RunInput;
import io.runwatch.core.Severity;
import io.runwatch.core.training.TrainingSettings;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The seeded synthetic part of the training suite: realistic loss curves (power-law decay, per-run noise,
 * occasional one-step bad batches, checkpoints every 200 steps) with injected, labelled incidents — spikes of
 * 5% to 150% with different rise and recovery, early and late, logged every step and every 10 steps; Adam
 * precursors with different lead times followed by recovery or divergence; divergence (climbing, plateau,
 * incomplete recovery, slow drift); NaN/Inf; gradient-norm jumps — and the hard negatives (LR step decay, a 3%
 * level shift, heavy-tailed noise, duplicates, reordering, a 300-step rewind after a restart).
 */
final class SyntheticTrainingSuite {
    static final long SEED = 20240611L;
    private static final int LOGGED_STEPS = 1200;
    private static final long CHECKPOINT_EVERY = 200;
    private static final List<String> GROUPS = List.of("embed", "attn", "mlp", "head");
    /** The minimum rise of a ticketed spike (training.spike.min.rise), for deciding which spikes are scored. */
    private static final double MIN_RISE = TrainingSettings.defaults().spikeMinRise();

    private SyntheticTrainingSuite() {
    }

    static List<TrainingLabelledRun> generate() {
        return generate(SEED);
    }

    /** The same suite drawn with another generator seed. */
    static List<TrainingLabelledRun> generate(long seed) {
        List<TrainingLabelledRun> runs = new ArrayList<>();
        SplittableRandom seeds = new SplittableRandom(seed);
        double[] heights = {0.05, 0.08, 0.12, 0.2, 0.35, 0.6, 1.0, 1.5};
        int n = 0;
        for (int interval : new int[] {1, 10}) {
            for (boolean late : new boolean[] {false, true}) {
                for (double height : heights) {
                    runs.add(spike("spike-" + (n++), seeds.nextLong(), interval, height, late));
                }
            }
        }
        String[] divergenceShapes = {"climb", "plateau", "incomplete", "slow"};
        for (int i = 0; i < 16; i++) {
            runs.add(divergence("divergence-" + i, seeds.nextLong(), i % 2 == 0 ? 1 : 10, divergenceShapes[i % 4]));
        }
        int[] leads = {3, 8, 20, 60};
        for (int i = 0; i < 16; i++) {
            runs.add(precursor("precursor-" + i, seeds.nextLong(), leads[i % 4], i % 8 >= 4, i % 3));
        }
        for (int i = 0; i < 6; i++) {
            runs.add(nonFinite("nan-" + i, seeds.nextLong(), i));
        }
        for (int i = 0; i < 8; i++) {
            runs.add(gradJump("grad-" + i, seeds.nextLong(), i % 2 == 0 ? 1 : 10, i % 4 == 3));
        }
        String[] negatives = {"plain", "lr-decay", "level-shift", "heavy-tail", "duplicates", "reorder", "rewind",
                              "rewind-no-event"};
        for (int i = 0; i < 24; i++) {
            String kind = negatives[i % negatives.length];
            runs.add(negative(kind + "-" + i, seeds.nextLong(), i % 3 == 2 ? 10 : 1, kind));
        }
        return runs;
    }

    /**
     * The widened suite of issue 13: spikes that take long to come back, and divergences that first look like
     * them. Drawn per seed, reported apart from the old suite above. Shapes and the sources they follow:
     * <ul>
     *   <li><b>rise</b> over 1–12 logged steps, log-uniform (sudden rises are the common case): BLOOM-176B's
     *       spike at step 31,214 rose over 4 logged steps (2.20 → 5.10, chronicle fragment tr11-176B block 4 in
     *       {@code ../shared/data/trainlogs}); Adam-instability spikes rise over several to ~10 logged steps
     *       (Molybog et al., arXiv 2304.09871, their loss curves of the 546B runs);
     *   <li><b>hold</b> at the top for 0–4 logged steps: BigScience tr8b-104B (block 28) sat at 4.37–4.40 for five
     *       logged steps before coming down;
     *   <li><b>recovery</b> over 20–300 logged steps, log-uniform, linear or exponential (decaying to within the
     *       noise at the end): BLOOM-176B was back in ~30 steps; Molybog et al.'s spikes decay over 100–300 steps;
     *       the BigScience 104B chronicles describe a spike "taking a long time to come down";
     *   <li><b>height</b> 5 %–200 %, log-uniform: BLOOM +132 %, tr8b-104B +64 %, tr8-104B +77 % and ×2.5
     *       (blocks 1, 6, 32);
     *   <li><b>divergence</b> that first looks like such a spike: it rises the same way (heights 15 %–200 %),
     *       comes down part of the way (to 30–70 % of its height over 10–40 logged steps), then stays there
     *       (plateau) or climbs again: tr8-104B went from 6.44 to 11.4 and "200 iterations later went down to ~7
     *       and stayed there" (block 1: +11 % over its pre-spike level, a plateau after a partial fall);
     *   <li><b>jump then slow creep</b>: a jump of 15 %–200 % (rise 1–12, hold 0–4) that never comes down and creeps
     *       up by 0.05–0.3 % per logged step (log-uniform): no single stretch climbs steeply, yet it never comes
     *       back (the divergence of RunwatchEndToEndIT, which once never paged);
     *   <li>logged every step (dense) and every 10 steps (sparse), early (index 150–250) and late (500–700) in
     *       the run, on the old suite's curves (power-law decay, 0.4–1 % noise, bad batches, checkpoints).
     * </ul>
     * Labels: a recovering spike is a {@code loss_spike} ticket (a page on it is false), a divergence a page.
     */
    static List<TrainingLabelledRun> generateWidened(long seed) {
        List<TrainingLabelledRun> runs = new ArrayList<>();
        SplittableRandom seeds = new SplittableRandom(seed ^ 0x5EED13L);
        int n = 0;
        for (int interval : new int[] {1, 10}) {
            for (boolean late : new boolean[] {false, true}) {
                for (boolean exponential : new boolean[] {false, true}) {
                    for (int i = 0; i < 8; i++) {
                        runs.add(slowSpike("slow-spike-" + (n++), seeds.nextLong(), interval, late, exponential));
                    }
                }
            }
        }
        n = 0;
        for (int interval : new int[] {1, 10}) {
            for (boolean climbs : new boolean[] {false, true}) {
                for (int i = 0; i < 8; i++) {
                    runs.add(spikeThenDiverge("spike-divergence-" + (n++), seeds.nextLong(), interval, climbs));
                }
            }
        }
        String[] negatives = {"plain", "lr-decay", "level-shift", "heavy-tail"};
        for (int i = 0; i < 8; i++) {
            runs.add(negative("wide-" + negatives[i % 4] + "-" + i, seeds.nextLong(), i % 2 == 1 ? 10 : 1,
                    negatives[i % 4]));
        }
        // Drawn after the older kinds, so that adding them left those runs as they were.
        n = 0;
        for (int interval : new int[] {1, 10}) {
            for (int i = 0; i < 8; i++) {
                runs.add(jumpThenCreep("spike-creep-" + (n++), seeds.nextLong(), interval));
            }
        }
        return runs;
    }

    /** An integer drawn log-uniformly from [from, to]. */
    private static int logUniform(SplittableRandom random, int from, int to) {
        return (int) Math.floor(Math.exp(Math.log(from) + random.nextDouble() * (Math.log(to + 1) - Math.log(from))));
    }

    private static double logUniform(SplittableRandom random, double from, double to) {
        return Math.exp(Math.log(from) + random.nextDouble() * (Math.log(to) - Math.log(from)));
    }

    private static TrainingLabelledRun slowSpike(String name, long seed, int interval, boolean late,
                                                 boolean exponential) {
        Curve c = new Curve(name, seed, interval);
        int at = late ? 500 + c.random.nextInt(200) : 150 + c.random.nextInt(100);
        int rise = Math.min(12, logUniform(c.random, 1, 12));
        int hold = c.random.nextInt(5);
        int recovery = Math.min(300, logUniform(c.random, 20, 300));
        double height = Math.log1p(logUniform(c.random, 0.05, 2.0));
        int end = c.addSlowSpike(at, height, rise, hold, recovery, exponential, 1.0);
        c.labelSpike(at, Math.min(end + 1, LOGGED_STEPS - 1));
        return c.build(exponential ? "slow-spike-exponential" : "slow-spike-linear", Map.of());
    }

    private static TrainingLabelledRun spikeThenDiverge(String name, long seed, int interval, boolean climbs) {
        Curve c = new Curve(name, seed, interval);
        int at = 400 + c.random.nextInt(300);
        int rise = Math.min(12, logUniform(c.random, 1, 12));
        int hold = c.random.nextInt(5);
        int fall = 10 + c.random.nextInt(31);
        double height = Math.log1p(logUniform(c.random, 0.15, 2.0));
        double keep = 0.3 + 0.4 * c.random.nextDouble();
        boolean exponential = c.random.nextBoolean();
        int i = c.addSlowSpike(at, height, rise, hold, fall, exponential, 1 - keep);
        double from = c.deviation[i];
        // Climbing again: back at the peak within 30–100 logged steps, and on.
        double climb = climbs ? height * (1 - keep) / (30 + c.random.nextInt(71)) : 0;
        for (int k = i + 1; k < LOGGED_STEPS; k++) {
            c.deviation[k] = from + climb * (k - i);
        }
        c.shape += climbs ? String.format(Locale.ROOT, ", then climbs %.2f%%/logged step", 100 * climb)
                : ", then plateaus";
        c.label(TrainingLabel.of(AlertType.divergence, c.step(at), c.step(LOGGED_STEPS - 1), Severity.page));
        return c.build(climbs ? "spike-then-climb" : "spike-then-plateau", Map.of());
    }

    /**
     * A jump that stays and keeps creeping up slowly: every few logged steps sets a new high, but no stretch of
     * eight rises steeply enough to be "keeps climbing" (the shape RunwatchEndToEndIT's divergence run had).
     */
    private static TrainingLabelledRun jumpThenCreep(String name, long seed, int interval) {
        Curve c = new Curve(name, seed, interval);
        int at = 400 + c.random.nextInt(300);
        int rise = Math.min(12, logUniform(c.random, 1, 12));
        int hold = c.random.nextInt(5);
        double height = Math.log1p(logUniform(c.random, 0.15, 2.0));
        double creep = logUniform(c.random, 0.0005, 0.003);
        int i = c.addSlowSpike(at, height, rise, hold, 0, false, 0);
        for (int k = i + 1; k < LOGGED_STEPS; k++) {
            c.deviation[k] = height + creep * (k - i);
        }
        c.shape = String.format(Locale.ROOT, "noise %.2f%%, jump %+.0f%% at index %d: rise %d, hold %d, then creeps "
                + "up %.2f%%/logged step", 100 * c.noise, 100 * Math.expm1(height), at, rise, hold, 100 * creep);
        c.label(TrainingLabel.of(AlertType.divergence, c.step(at), c.step(LOGGED_STEPS - 1), Severity.page));
        return c.build("spike-then-creep", Map.of());
    }

    // ---- scenarios ---------------------------------------------------------------------------------------

    private static TrainingLabelledRun spike(String name, long seed, int interval, double height, boolean late) {
        Curve c = new Curve(name, seed, interval);
        int at = late ? 900 + c.random.nextInt(100) : 150 + c.random.nextInt(100);
        int rise = 1 + c.random.nextInt(3);
        int hold = c.random.nextInt(4);
        int recovery = new int[] {3, 8, 20}[c.random.nextInt(3)];
        int end = c.addSpike(at, Math.log1p(height), rise, hold, recovery, 0);
        c.labelSpike(at, end);
        return c.build("spike", Map.of());
    }

    private static TrainingLabelledRun divergence(String name, long seed, int interval, String shape) {
        Curve c = new Curve(name, seed, interval);
        int at = 500 + c.random.nextInt(300);
        double height = Math.log1p(0.15 + 0.5 * c.random.nextDouble());
        switch (shape) {
            case "climb" -> {
                c.addSpike(at, height, 2, 0, 0, 0);
                for (int i = at + 2; i < LOGGED_STEPS; i++) {
                    c.deviation[i] = height + 0.01 * (i - at - 2);
                }
            }
            case "plateau" -> c.addSpike(at, height, 2, LOGGED_STEPS, 0, 0);
            case "incomplete" -> c.addSpike(at, height, 2, 2, 10, Math.log1p(0.03 + 0.02 * c.random.nextDouble()));
            default -> {
                double slope = Math.log1p(0.0005 + 0.0015 * c.random.nextDouble());
                for (int i = at; i < LOGGED_STEPS; i++) {
                    c.deviation[i] = slope * (i - at);
                }
            }
        }
        c.label(TrainingLabel.of(AlertType.divergence, c.step(at), c.step(LOGGED_STEPS - 1), Severity.page));
        return c.build("divergence-" + shape, Map.of());
    }

    /**
     * Signal 0: both precursors, 1: gradient collapse only, 2: sign-like updates only. The spike follows
     * {@code lead} logged steps after the precursor began; then recovery, or divergence.
     */
    private static TrainingLabelledRun precursor(String name, long seed, int lead, boolean diverges, int signal) {
        Curve c = new Curve(name, seed, 1);
        c.groups = true;
        int start = 600 + c.random.nextInt(200);
        int spikeAt = start + lead;
        double collapseDecades = signal == 2 ? 0 : 3 + c.random.nextDouble();
        double rmsTop = signal == 1 ? c.baseRms : 0.97;
        int healthyAgain = diverges ? LOGGED_STEPS : spikeAt + 15;
        for (int i = start; i < healthyAgain; i++) {
            double progress = Math.min(1.0, (i - start + 1) / (double) lead);
            c.embedCollapse[i] = -collapseDecades * Math.log(10) * progress;
            c.embedRms[i] = c.baseRms + (rmsTop - c.baseRms) * progress;
        }
        double height = Math.log1p(0.3 + 0.7 * c.random.nextDouble());
        if (diverges) {
            c.addSpike(spikeAt, height, 2, 0, 0, 0);
            for (int i = spikeAt + 2; i < LOGGED_STEPS; i++) {
                c.deviation[i] = height + 0.01 * (i - spikeAt - 2);
            }
            c.label(TrainingLabel.of(AlertType.divergence, c.step(spikeAt), c.step(LOGGED_STEPS - 1), Severity.page));
        } else {
            int end = c.addSpike(spikeAt, height, 2, 1, 8, 0);
            c.labelSpike(spikeAt, end);
        }
        c.label(new TrainingLabel(AlertType.adam_precursor, c.step(start), c.step(healthyAgain - 1), Severity.ticket,
                c.step(spikeAt), true, false));
        RunConfig config = new RunConfig(124e6, signal == 0 ? 1e-8 : null, 6e-4, null, null, null, Map.of());
        return c.build("precursor-lead" + lead + (diverges ? "-diverges" : "-recovers"), Map.of("config", config));
    }

    private static TrainingLabelledRun nonFinite(String name, long seed, int variant) {
        Curve c = new Curve(name, seed, variant == 4 ? 10 : 1);
        c.gradNorms = true;
        int at = switch (variant) {
            case 0 -> 900;
            case 1 -> 20; // during warm-up: still pages
            case 2 -> 600; // one overflowed step, then finite again
            case 3 -> 700; // gradient norm Inf, loss finite
            case 4 -> 300; // logged every 10 steps, NaN from then on
            default -> 400 + c.random.nextInt(400);
        };
        int last = variant == 2 || variant == 3 ? at : LOGGED_STEPS - 1;
        for (int i = at; i <= last; i++) {
            if (variant == 3) {
                c.gradOverride[i] = Double.POSITIVE_INFINITY;
            } else {
                c.lossIsNaN[i] = true;
            }
        }
        c.label(TrainingLabel.of(AlertType.nonfinite, c.step(at), c.step(last) + c.interval, Severity.page));
        // A lone Inf gradient norm with a finite loss is an fp16 scaler's skipped step unless the run declares a
        // precision without loss scaling: this one does, so it must still page (issue 17).
        return c.build("nonfinite", variant == 3 ? Map.of("config", RunConfig.ofPrecision("bf16")) : Map.of());
    }

    /** A persistent gradient-norm jump; every fourth comes with a loss spike. */
    private static TrainingLabelledRun gradJump(String name, long seed, int interval, boolean withLossSpike) {
        Curve c = new Curve(name, seed, interval);
        c.gradNorms = true;
        int at = 400 + c.random.nextInt(500);
        int length = 6 + c.random.nextInt(25);
        double ratio = Math.log(3 + 17 * c.random.nextDouble());
        for (int i = at; i < at + length; i++) {
            c.gradJump[i] = ratio;
        }
        c.label(TrainingLabel.of(AlertType.grad_norm_spike, c.step(at), c.step(at + length), Severity.ticket));
        if (withLossSpike) {
            int end = c.addSpike(at, Math.log1p(0.3), 1, 2, 8, 0);
            c.labelSpike(at, end);
        }
        return c.build("grad-jump" + (withLossSpike ? "-with-loss-spike" : ""), Map.of());
    }

    private static TrainingLabelledRun negative(String name, long seed, int interval, String kind) {
        Curve c = new Curve(name, seed, interval);
        c.gradNorms = true;
        c.groups = true;
        Map<String, Object> options = new LinkedHashMap<>();
        switch (kind) {
            case "lr-decay" -> {
                for (int i = 500; i < LOGGED_STEPS; i++) {
                    c.deviation[i] = Math.log(0.95) + (i >= 900 ? Math.log(0.96) : 0);
                }
                options.put("lrDecayAt", List.of(500, 900));
            }
            case "level-shift" -> {
                for (int i = 600; i < LOGGED_STEPS; i++) {
                    c.deviation[i] = Math.log1p(0.03);
                }
            }
            case "heavy-tail" -> c.heavyTailed = true;
            case "duplicates" -> options.put("duplicates", 0.05);
            case "reorder" -> options.put("reorder", 0.05);
            case "rewind", "rewind-no-event" -> {
                options.put("rewindAt", 1000);
                options.put("rewindBy", 300 / interval);
                options.put("startEvent", kind.equals("rewind"));
            }
            default -> {
            }
        }
        return c.build(kind, options);
    }

    // ---- the curve builder -------------------------------------------------------------------------------

    /** One run's signals per logged step, before incidents are laid out as records. */
    private static final class Curve {
        final String name;
        final SplittableRandom random;
        final int interval;
        final double noise;
        final double floor;
        final double amplitude;
        final double baseRms;
        final double[] deviation = new double[LOGGED_STEPS];
        final boolean[] lossIsNaN = new boolean[LOGGED_STEPS];
        final double[] gradOverride = new double[LOGGED_STEPS];
        final double[] gradJump = new double[LOGGED_STEPS];
        final double[] embedCollapse = new double[LOGGED_STEPS];
        final double[] embedRms = new double[LOGGED_STEPS];
        final List<TrainingLabel> labels = new ArrayList<>();
        final boolean[] protectedStep = new boolean[LOGGED_STEPS];
        /** What was injected, for listing misses and false alerts. */
        String shape = "";
        boolean heavyTailed;
        boolean gradNorms;
        boolean groups;

        Curve(String name, long seed, int interval) {
            this.name = name;
            this.random = new SplittableRandom(seed);
            this.interval = interval;
            this.noise = 0.004 + 0.006 * random.nextDouble();
            this.floor = 2.0 + random.nextDouble();
            this.amplitude = 6 + 3 * random.nextDouble();
            this.baseRms = 0.2 + 0.15 * random.nextDouble();
            java.util.Arrays.fill(embedRms, Double.NaN);
        }

        long step(int index) {
            return (long) (index + 1) * interval;
        }

        void label(TrainingLabel label) {
            labels.add(label);
            int from = (int) Math.max(0, label.onsetStep() / interval - 60);
            int to = (int) Math.min(LOGGED_STEPS - 1, label.endStep() / interval + 60);
            for (int i = from; i <= to; i++) {
                protectedStep[i] = true;
            }
        }

        /**
         * Labels the spike laid out from {@code at} to {@code end}, noting whether it is near the minimum rise:
         * unless at two consecutive logged steps the injected rise clears it by two noise sigmas, whether the
         * noisy loss clears it is partly chance (a 5% spike in 0.8% noise reads 3.4% to 6.6%).
         */
        void labelSpike(int at, int end) {
            double decided = Math.log1p(MIN_RISE) + 2 * noise;
            boolean clears = false;
            for (int i = at; i < end && !clears; i++) {
                clears = deviation[i] >= decided && deviation[i + 1] >= decided;
            }
            label(new TrainingLabel(AlertType.loss_spike, step(at), step(end), Severity.ticket, -1, true, !clears));
        }

        /** Lays out a spike in log space; returns the index of its last deviating point. */
        int addSpike(int at, double height, int rise, int hold, int recovery, double settle) {
            shape = String.format(Locale.ROOT, "%snoise %.2f%%, spike %+.0f%% at index %d: rise %d, hold %d, "
                    + "recovery %d%s", heavyTailed ? "heavy-tailed " : "", 100 * noise, 100 * Math.expm1(height), at,
                    rise, hold, recovery, settle > 0 ? String.format(Locale.ROOT, ", settles %+.1f%%",
                            100 * Math.expm1(settle)) : "");
            int i = at;
            for (int k = 1; k <= rise && i < LOGGED_STEPS; k++, i++) {
                deviation[i] = height * k / rise;
            }
            for (int k = 0; k < hold && i < LOGGED_STEPS; k++, i++) {
                deviation[i] = height;
            }
            for (int k = 1; k <= recovery && i < LOGGED_STEPS; k++, i++) {
                deviation[i] = settle + (height - settle) * (1 - k / (double) recovery);
            }
            if (settle > 0) {
                for (int k = i; k < LOGGED_STEPS; k++) {
                    deviation[k] = settle;
                }
            }
            return Math.min(i, LOGGED_STEPS - 1);
        }

        /**
         * Lays out a spike that rises linearly over {@code rise} logged steps, holds, then comes down over
         * {@code recovery} by {@code fallFraction} of its height, linearly or exponentially (an exponential decay
         * reaches a tenth of the noise at its end, then stops); returns the index of its last point. Beyond it
         * the deviation is left to the caller.
         */
        int addSlowSpike(int at, double height, int rise, int hold, int recovery, boolean exponential,
                         double fallFraction) {
            shape = String.format(Locale.ROOT, "noise %.2f%%, spike %+.0f%% at index %d: rise %d, hold %d, "
                    + "%s fall of %.0f%% over %d", 100 * noise, 100 * Math.expm1(height), at, rise, hold,
                    exponential ? "exponential" : "linear", 100 * fallFraction, recovery);
            int i = at;
            for (int k = 1; k <= rise && i < LOGGED_STEPS; k++, i++) {
                deviation[i] = height * k / rise;
            }
            for (int k = 0; k < hold && i < LOGGED_STEPS; k++, i++) {
                deviation[i] = height;
            }
            double settle = height * (1 - fallFraction);
            double span = height - settle;
            double tau = recovery / Math.log(Math.max(span / (0.1 * noise), Math.E));
            for (int k = 1; k <= recovery && i < LOGGED_STEPS; k++, i++) {
                double left = exponential ? Math.exp(-k / tau) : 1 - k / (double) recovery;
                deviation[i] = settle + span * left;
            }
            return Math.min(i - 1, LOGGED_STEPS - 1);
        }

        double noiseSample() {
            if (!heavyTailed) {
                return noise * random.nextGaussian();
            }
            // Student t with 2.5 degrees of freedom, scaled to the same spread.
            double chi = 0;
            for (int k = 0; k < 5; k++) {
                double g = random.nextGaussian();
                chi += g * g;
            }
            return noise * random.nextGaussian() / Math.sqrt(chi / 5) * 0.75;
        }

        double logLoss(int i, boolean replay) {
            long step = step(i);
            double trend = Math.log(floor + amplitude / Math.pow(1 + step / 300.0, 0.7));
            double badBatch = !replay && !protectedStep[i] && random.nextDouble() < 1 / 400.0
                    ? Math.log1p(0.1 + 0.5 * random.nextDouble()) : 0;
            return trend + deviation[i] + noiseSample() + badBatch;
        }

        MetricPoint point(int i, long timeMs, boolean replay) {
            double logLoss = logLoss(i, replay);
            double loss = lossIsNaN[i] ? Double.NaN : Math.exp(logLoss);
            MetricPoint p = MetricPoint.ofLoss(name, step(i), timeMs, loss);
            if (gradNorms) {
                double grad = 0.5 * Math.pow(1 + step(i) / 1000.0, -0.3) * Math.exp(0.08 * random.nextGaussian()
                        + gradJump[i] + (!protectedStep[i] && random.nextDouble() < 1 / 300.0 ? Math.log(4) : 0));
                p = p.withGradNorm(gradOverride[i] != 0 ? gradOverride[i] : grad);
            }
            if (groups) {
                Map<String, GroupStats> stats = new LinkedHashMap<>();
                for (String group : GROUPS) {
                    boolean embed = group.equals("embed");
                    double grad = 0.2 * Math.pow(1 + step(i) / 1000.0, -0.3)
                            * Math.exp(0.1 * random.nextGaussian() + (embed ? embedCollapse[i] : 0));
                    double rms = (embed && !Double.isNaN(embedRms[i]) ? embedRms[i] : baseRms)
                            + 0.02 * random.nextGaussian();
                    stats.put(group, new GroupStats(grad, rms, null));
                }
                p = p.withGroups(stats);
            }
            return p;
        }

        TrainingLabelledRun build(String kind, Map<String, Object> options) {
            List<RunInput> inputs = new ArrayList<>();
            long[] clock = {TrainingLogs.EPOCH_MS};
            Object config = options.get("config");
            inputs.add(RunInput.of(RunEvent.start(name, clock[0], config instanceof RunConfig rc ? rc
                    : RunConfig.EMPTY)));
            int rewindAt = (Integer) options.getOrDefault("rewindAt", -1);
            for (int i = 0; i < LOGGED_STEPS; i++) {
                emit(inputs, i, clock, false);
                if (i == rewindAt) {
                    int back = (Integer) options.get("rewindBy");
                    int resumeIndex = i - back;
                    if ((Boolean) options.get("startEvent")) {
                        clock[0] += 60_000;
                        inputs.add(RunInput.of(RunEvent.start(name, clock[0], RunConfig.resumedFrom(step(resumeIndex)))));
                    }
                    labels.add(TrainingLabel.of(AlertType.run_rewound, step(resumeIndex), step(i) + interval,
                            Severity.info));
                    for (int r = resumeIndex + 1; r <= i; r++) {
                        emit(inputs, r, clock, true);
                    }
                }
            }
            double duplicates = (Double) options.getOrDefault("duplicates", 0.0);
            double reorder = (Double) options.getOrDefault("reorder", 0.0);
            if (duplicates > 0 || reorder > 0) {
                inputs = perturb(inputs, duplicates, reorder);
            }
            String described = shape.isEmpty()
                    ? String.format(Locale.ROOT, "%snoise %.2f%%", heavyTailed ? "heavy-tailed " : "", 100 * noise)
                    : shape;
            return new TrainingLabelledRun(name, kind, interval, List.copyOf(inputs), List.copyOf(labels),
                    described);
        }

        private void emit(List<RunInput> inputs, int i, long[] clock, boolean replay) {
            clock[0] += 1000L * interval;
            inputs.add(RunInput.of(point(i, clock[0], replay)));
            if (step(i) % CHECKPOINT_EVERY == 0) {
                inputs.add(RunInput.of(RunEvent.checkpoint(name, step(i), clock[0] + 1)));
            }
        }

        /** Duplicates some metric records and swaps some neighbours; times stay as sent. */
        private List<RunInput> perturb(List<RunInput> inputs, double duplicates, double reorder) {
            List<RunInput> out = new ArrayList<>(inputs.size() + 64);
            for (RunInput input : inputs) {
                out.add(input);
                if (input.metric() != null && random.nextDouble() < duplicates) {
                    out.add(input);
                }
            }
            for (int i = 1; i + 1 < out.size(); i++) {
                if (out.get(i).metric() != null && out.get(i + 1).metric() != null && random.nextDouble() < reorder) {
                    Collections.swap(out, i, i + 1);
                    i++;
                }
            }
            return out;
        }
    }
}
