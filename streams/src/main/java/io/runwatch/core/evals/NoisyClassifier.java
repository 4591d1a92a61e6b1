package io.runwatch.core.evals;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.EvalPoint;
import io.runwatch.core.Severity;
import io.runwatch.core.evals.TrajectoryAnalysis.ChanceLevel;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * eval_noisy: a benchmark that is only noise at this model's scale (its recent scores sit in the no-skill
 * range and Kendall's tau shows no trend), or a yes/no task whose score swings between the majority rate
 * and its complement. Sent once per trajectory (info), so dashboards can grey it out and nobody is paged
 * about it; resolved once if the benchmark later clearly rises above chance.
 */
final class NoisyClassifier {
    /** Margin around the no-skill range, in noise units, that still counts as "at chance". */
    private static final double CHANCE_MARGIN = 2;
    /** How far above chance a noisy benchmark must rise to count as carrying signal again. */
    private static final double EMERGED_MARGIN = 4;
    /** Sampling errors above the majority rate from which a fall back to it is a drop, not a flip. */
    static final double WELL_ABOVE = 4;

    static final String AT_CHANCE = "chance";
    static final String BINARY_FLIP = "binary_flip";
    static final String UNSTABLE = "unstable";
    /** The reason of {@link FlakyClassifier}'s eval_noisy records. */
    static final String FLAKY = "flaky";

    private final EvalSettings settings;
    private final TrajectoryAnalysis analysis;

    NoisyClassifier(EvalSettings settings, TrajectoryAnalysis analysis) {
        this.settings = settings;
        this.analysis = analysis;
    }

    /** Re-classifies the trajectory; returns the eval_noisy record to emit, or null. */
    Alert update(TrajectoryState t, EvalPoint point) {
        ChanceLevel chance = TrajectoryAnalysis.chance(t);
        if (chance == null || t.checkpointsSeen < settings.noisyMinCheckpoints()) {
            return null;
        }
        int size = t.recent.size();
        int from = Math.max(0, size - settings.noiseWindow());
        // The median, so that a drop of a few checkpoints does not itself make a benchmark look at chance; and the
        // higher of the window's and its older half's, so that a drop of up to half the window does not either
        // (results arrive out of order: a drop's later checkpoints could class a slow learner a few noise units
        // above chance noisy before its first one is tested). Not for a format said unstable: its swings are
        // what the class is for, and the older half's median would lift it after every high swing.
        int olderEnd = from + (size - from) / 2 - 1;
        double level = t.reported(t.unstableAlertId == null && olderEnd > from
                ? Math.max(analysis.medianLevel(t, from, size - 1), analysis.medianLevel(t, from, olderEnd))
                : analysis.medianLevel(t, from, size - 1));
        NoiseEstimate estimate = analysis.noise(t, size, RegressionDetector.seedsAt(t, size - 1));
        double noise = estimate.total();
        boolean nearChance = level >= chance.low() - CHANCE_MARGIN * noise
                && level <= chance.high() + CHANCE_MARGIN * noise;
        boolean flat = Math.abs(t.kendallTauAll()) < settings.noisyMaxTau();
        // Lifted once the level is out of the at-chance band and EMERGED_MARGIN sampling errors above chance:
        // the swings that made the band wide (a yes/no task flipping) must not keep a benchmark that learned muted.
        double sampling = Math.max(estimate.binomial(), estimate.seed());
        boolean emerged = !nearChance && level > chance.high() + EMERGED_MARGIN * (sampling > 0 ? sampling : noise);
        if (t.noisyAlertResolved) {
            t.noisy = false; // it showed signal once: a later fall to chance is a drop, not noise
            return null;
        }
        t.noisy = nearChance && (flat || BINARY_FLIP.equals(t.noisyReason))
                || t.noisy && BINARY_FLIP.equals(t.noisyReason) && !emerged;
        if (t.noisy && t.noisyAlertId == null) {
            t.noisyReason = AT_CHANCE;
            String summary = String.format(Locale.ROOT,
                    "%s %s of run %s is indistinguishable from noise: its recent level %s sits at chance (%s%s) "
                            + "and Kendall's tau over %d checkpoints is %.2f; ignore it at this scale, no "
                            + "regression will be raised on it.",
                    t.benchmark, t.metric, t.run, RegressionDetector.fmt(level), range(chance),
                    chance.imbalanced() ? ", the range a yes/no model spans by answer bias alone" : "",
                    t.checkpointsSeen, t.kendallTauAll());
            return fire(t, point, level, chance, noise, summary);
        }
        if (!t.noisy && t.noisyAlertId != null && emerged) {
            t.noisyAlertResolved = true;
            t.noisyReason = null;
            String why = String.format(Locale.ROOT, "%s %s of run %s now carries signal: its level %s is above "
                    + "chance (%s); regressions on it are tested again.", t.benchmark, t.metric, t.run,
                    RegressionDetector.fmt(level), range(chance));
            return Alert.firing(t.run, AlertType.eval_noisy, Severity.info, 0).id(t.noisyAlertId)
                    .benchmark(t.benchmark, t.metric).value(level).build()
                    .resolvedAt(point.step(), point.timeMs(), why);
        }
        return null;
    }

    /**
     * How many times its sampling error (binomial, seed) a trajectory's checkpoint-to-checkpoint swing is (the
     * robust empirical spread around the local trend); NaN while either is unknown.
     */
    double swingRatio(TrajectoryState t) {
        int size = t.recent.size();
        if (t.checkpointsSeen < settings.empiricalNoiseWindow() || size < 2) {
            return Double.NaN;
        }
        NoiseEstimate noise = analysis.noise(t, size, RegressionDetector.seedsAt(t, size - 1));
        double sampling = Math.max(noise.binomial(), noise.seed());
        return sampling > 0 && !Double.isNaN(noise.empirical()) ? noise.empirical() / sampling : Double.NaN;
    }

    /**
     * eval_noisy reason {@code unstable}, once per trajectory: its swings are {@code unstableRatio} times its
     * sampling error or more, which is itself the finding (a format the model has not settled on), naming the
     * smoothest sibling metric of the same benchmark when one is smoother. Regressions are still tested, against
     * the larger noise; gross drops are never muted.
     */
    Alert unstable(EvalRunState run, TrajectoryState t, EvalPoint point, double ratio) {
        if (t.unstableAlertId != null || Double.isNaN(ratio) || ratio < settings.unstableRatio()) {
            return null;
        }
        String ownKey = point.trajectoryKey();
        EvalRunState.TrajectorySummary smoothest = null;
        for (var e : run.trajectories.entrySet()) {
            EvalRunState.TrajectorySummary s = e.getValue();
            if (!e.getKey().equals(ownKey) && t.benchmark.equals(s.benchmark) && !Double.isNaN(s.swingRatio)
                    && s.swingRatio < ratio && (smoothest == null || s.swingRatio < smoothest.swingRatio
                    || s.swingRatio == smoothest.swingRatio && s.metric.compareTo(smoothest.metric) < 0)) {
                smoothest = s;
            }
        }
        String sibling = smoothest == null ? " No other metric of this benchmark is smoother."
                : String.format(Locale.ROOT, " Its sibling metric %s swings %.1f times its sampling error: watch "
                        + "that one for this benchmark.", smoothest.metric, smoothest.swingRatio);
        String summary = String.format(Locale.ROOT, "%s %s of run %s is unstable: it swings %.1f times its sampling "
                        + "error from checkpoint to checkpoint (binomial error explains about 1), so the model has "
                        + "not settled on this format (the multiple-choice format often oscillates while its cloze "
                        + "twin is smooth, arXiv 2406.10229). Its regressions are judged against the larger swing; "
                        + "a drop far beyond its sampling error is still ticketed.%s",
                t.benchmark, t.metric, t.run, ratio, sibling);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("reason", UNSTABLE);
        details.put("swingRatio", ratio);
        details.put("threshold", settings.unstableRatio());
        if (smoothest != null) {
            details.put("smoothestSibling", smoothest.metric);
            details.put("siblingSwingRatio", smoothest.swingRatio);
        }
        details.put("checkpoints", t.checkpointsSeen);
        long step = t.recent.get(t.recent.size() - 1).step;
        Alert alert = Alert.firing(t.run, AlertType.eval_noisy, Severity.info, step)
                .id(Alert.episodeId(t.run, AlertType.eval_noisy, t.benchmark + ":" + t.metric + ":" + UNSTABLE, 0))
                .benchmark(t.benchmark, t.metric)
                .detectedAt(point.step(), point.timeMs())
                .value(ratio)
                .threshold(settings.unstableRatio())
                .summary(summary)
                .details(details)
                .build();
        t.unstableAlertId = alert.id();
        return alert;
    }

    /**
     * Whether the level an onset fell from was well above the majority rate (by {@value #WELL_ABOVE} sampling
     * errors): falling from there back to the majority rate is a drop, not a change of answer bias.
     */
    boolean wellAboveChance(TrajectoryState t, RegressionDetector.Onset onset) {
        ChanceLevel chance = TrajectoryAnalysis.chance(t);
        double sampling = Math.max(onset.noise().binomial(), onset.noise().seed());
        return chance != null && sampling > 0
                && t.reported(onset.reference().level()) >= chance.high() + WELL_ABOVE * sampling;
    }

    /**
     * A significant drop on an imbalanced yes/no task whose scores stay inside the no-skill range: the model
     * changed which answer it prefers, not what it knows. Classes the trajectory noisy and says so once.
     */
    Alert binaryFlip(TrajectoryState t, EvalPoint point, RegressionDetector.Onset onset) {
        ChanceLevel chance = TrajectoryAnalysis.chance(t);
        t.noisy = true;
        t.noisyReason = BINARY_FLIP;
        if (t.noisyAlertId != null) {
            return null;
        }
        double from = t.reported(onset.reference().level());
        double to = t.reported(t.orientedMean(onset.index()));
        String summary = String.format(Locale.ROOT,
                "%s %s of run %s swung from %s to %s at step %d, within the range a yes/no model without skill "
                        + "spans (%s: always the minority answer to always the majority one): the model changed "
                        + "its answer bias, not its capability. Not a regression; ignore this benchmark at this "
                        + "scale.",
                t.benchmark, t.metric, t.run, RegressionDetector.fmt(from), RegressionDetector.fmt(to),
                onset.onsetStep(), range(chance));
        return fire(t, point, to, chance, onset.noise().total(), summary);
    }

    private Alert fire(TrajectoryState t, EvalPoint point, double level, ChanceLevel chance, double noise,
                       String summary) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("reason", t.noisyReason);
        details.put("level", level);
        details.put("chanceLow", chance.low());
        details.put("chanceHigh", chance.high());
        details.put("noise", noise);
        details.put("kendallTauAll", t.kendallTauAll());
        details.put("checkpoints", t.checkpointsSeen);
        String subject = t.benchmark + ":" + t.metric;
        Alert alert = Alert.firing(t.run, AlertType.eval_noisy, Severity.info, t.earliestStep)
                .id(Alert.episodeId(t.run, AlertType.eval_noisy, subject, 0))
                .benchmark(t.benchmark, t.metric)
                .detectedAt(point.step(), point.timeMs())
                .value(level)
                .threshold(chance.high())
                .summary(summary)
                .details(details)
                .build();
        t.noisyAlertId = alert.id();
        return alert;
    }

    private static String range(ChanceLevel chance) {
        return chance.high() - chance.low() < 1e-9 ? RegressionDetector.fmt(chance.high())
                : RegressionDetector.fmt(chance.low()) + "–" + RegressionDetector.fmt(chance.high());
    }
}
