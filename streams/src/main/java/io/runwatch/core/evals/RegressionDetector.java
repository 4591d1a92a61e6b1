package io.runwatch.core.evals;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.EvalPoint;
import io.runwatch.core.Severity;
import io.runwatch.core.evals.TrajectoryAnalysis.ChanceLevel;
import io.runwatch.core.evals.TrajectoryAnalysis.Expectation;
import io.runwatch.core.evals.TrajectoryAnalysis.Reference;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * eval_regression: a score falls below what the trajectory led to expect by more than its noise explains.
 * The expectation is the local trend where the curve clearly rises (see
 * {@link TrajectoryAnalysis#expectation}), else the level of the last checkpoints. Tests share the
 * false-alarm budget α (see {@link Significance}): one checkpoint far below its expectation, or far below
 * the best recent level (a step down on a flat stretch); two consecutive checkpoints moderately below their
 * expectation (when confirmation is on); and the level of the newest checkpoints below the best earlier
 * level (a slow, sustained decline that no single checkpoint shows). A drop is only a regression when the
 * reference was above chance: a benchmark without skill has nothing to lose.
 */
final class RegressionDetector {
    private final EvalSettings settings;
    private final TrajectoryAnalysis analysis;

    RegressionDetector(EvalSettings settings, TrajectoryAnalysis analysis) {
        this.settings = settings;
        this.analysis = analysis;
    }

    /** The test of one checkpoint against the best recent level rather than against its expectation. */
    static final String BELOW_BEST_LEVEL = "below_best_level";
    /** The test of a dip of a few checkpoints against the line through its neighbours on both sides. */
    static final String HINDSIGHT = "between_neighbours";
    /**
     * The hindsight test covers dips of 1 to this many consecutive checkpoints (their mean against the line
     * through the neighbours on both sides); each length is one more test per checkpoint in the budget.
     * Measured over six synthetic seeds, 4 finds 13 more drops of ≥ 5 noise units than 1 (3 finds 11, 5
     * finds 15 but with 3 more false alerts).
     */
    static final int HINDSIGHT_SPANS = 4;

    /** The test of a checkpoint that lost most of its skill or doubled its perplexity: never muted, from checkpoint 2. */
    static final String CATASTROPHIC = "catastrophic";
    /** The test of a drop far beyond the sampling error and chance: never muted by a class or swing. */
    static final String LARGE_DROP = "large_drop";
    /** Sampling errors a catastrophic accuracy drop must also exceed, so a tiny test set's fluke is not one. */
    static final double CATASTROPHIC_MIN_Z = 4;
    /** Noise units (the trajectory's full noise unit) a level must sit above chance to have skill to lose. */
    static final double SKILL_MARGIN = 2;

    /** A test that passed at one checkpoint. */
    record Onset(int index, long onsetStep, Reference reference, NoiseEstimate noise, double unit, double z,
                 double threshold, String kind, Long confirmedByStep, boolean hadSkill) {
        boolean isLevelDecline() {
            return "level".equals(kind);
        }

        /** Whether the reference is the trend's expectation for the checkpoint rather than an observed level. */
        boolean isAgainstExpectation() {
            return "single".equals(kind) || "confirmed".equals(kind) || HINDSIGHT.equals(kind);
        }

        /** Whether a class (noisy, flaky) or the minimum checkpoint count may hold this onset back: never for gross drops. */
        boolean isGross() {
            return CATASTROPHIC.equals(kind) || LARGE_DROP.equals(kind);
        }
    }

    /**
     * The first checkpoint from {@code firstChanged} on that fell grossly below the level of the (up to
     * {@code levelCheckpoints}) checkpoints right before it, or null. Gross means catastrophic on the score's own
     * scale (perplexity × {@code catastrophicFactor}, an accuracy losing {@code catastrophicChanceShare} of its
     * margin above chance) or large against both the sampling error and chance ({@code neverMuteZ},
     * {@code neverMuteChanceShare}). Measured against the sampling error only (binomial, seed), never the
     * empirical spread, so a benchmark that swings every checkpoint cannot talk such a drop away; tested from
     * the second checkpoint on.
     */
    Onset findGrossDrop(TrajectoryState t, int firstChanged, double dof) {
        for (int k = Math.max(1, firstChanged); k < t.recent.size(); k++) {
            if (t.recent.get(k).step <= t.lastEpisodeEndStep) {
                continue;
            }
            Onset onset = grossDropAt(t, k, dof);
            if (onset != null) {
                return onset;
            }
        }
        return null;
    }

    private Onset grossDropAt(TrajectoryState t, int k, double dof) {
        int before = Math.min(settings.levelCheckpoints(), k);
        double catastrophicDrop = catastrophicDrop(t);
        // A loss falling fast has left its own level behind: measured from the previous checkpoint when that is
        // better (its noise is nothing against a factor of 2); accuracies from the level, which noise moves less.
        double level = Double.isNaN(catastrophicDrop) ? analysis.level(t, k - before, k - 1)
                : Math.max(analysis.level(t, k - before, k - 1), t.orientedMean(k - 1));
        double drop = level - t.orientedMean(k);
        if (!(drop > 0)) {
            return null;
        }
        NoiseEstimate noise = analysis.noise(t, k, seedsAt(t, k));
        double sampling = Math.max(noise.binomial(), noise.seed()) * Math.sqrt(1 + 1.0 / before);
        double z = sampling > 0 ? drop / sampling : Double.NaN;
        Reference reference = new Reference(level, t.recent.get(k - 1).step);
        double unit = noise.total() * Math.sqrt(1 + 1.0 / before);
        long step = t.recent.get(k).step;
        // Only once the run has learned since its first checkpoint (perplexity down by √factor): an untrained
        // model's perplexity jumps about in the first steps (Pythia 12B: ×55 at step 8, back by step 32).
        boolean learned = !Double.isNaN(t.earliestScore)
                && level - t.oriented(t.earliestScore) >= catastrophicDrop / 2;
        if (!Double.isNaN(catastrophicDrop) && drop >= catastrophicDrop && learned) {
            // Resolved once back within a quarter of the factor (×1.19 for ×2): a loss has no sampling error.
            return new Onset(k, step, reference, noise, Math.max(unit, catastrophicDrop / 4), drop, catastrophicDrop,
                    CATASTROPHIC, null, true);
        }
        ChanceLevel chance = TrajectoryAnalysis.chance(t);
        // Above chance by more than the trajectory's own swing (empirical noise included): a benchmark swinging
        // around chance has no skill to lose, however many sampling errors its swings are.
        double margin = chance == null ? Double.NaN : level - chance.high();
        boolean hadSkill = chance == null || margin >= SKILL_MARGIN * noise.total() && margin >= CATASTROPHIC_MIN_Z * sampling;
        // A benchmark that swings beyond its sampling error (an unstable format: said once, eval_noisy unstable)
        // moves many sampling errors and a good share of its margin every few checkpoints; what a human wants
        // to hear about on it is a drop beyond its own swing too: past the single-checkpoint threshold of its
        // tail-aware model, in its full noise unit. Trajectories whose swing is their sampling error are unchanged.
        boolean swings = noise.empiricalCounts() && noise.empirical() > Math.max(noise.binomial(), noise.seed());
        boolean beyondSwing = !swings || drop >= unit * Significance.singleCheckpointZ(settings.alpha(),
                t.checkpointsSeen, dof);
        if (chance != null && hadSkill && beyondSwing && z >= CATASTROPHIC_MIN_Z
                && drop >= settings.catastrophicChanceShare() * margin) {
            return new Onset(k, step, reference, noise, unit, z, CATASTROPHIC_MIN_Z, CATASTROPHIC, null, true);
        }
        boolean againstChance = chance == null || (hadSkill && drop >= settings.neverMuteChanceShare() * margin);
        if (z >= settings.neverMuteZ() && againstChance && beyondSwing) {
            return new Onset(k, step, reference, noise, unit, z, settings.neverMuteZ(), LARGE_DROP, null, true);
        }
        return null;
    }

    /**
     * The oriented drop that is catastrophic on a loss-like metric's own scale: perplexity × factor is
     * ln(factor) of log-perplexity and of a loss in nats, log2(factor) of bits per byte; NaN for other metrics
     * (accuracies are judged against chance).
     */
    private double catastrophicDrop(TrajectoryState t) {
        if (t.higherIsBetter || t.metric == null) {
            return Double.NaN;
        }
        String metric = t.metric.toLowerCase(Locale.ROOT);
        double nats = Math.log(settings.catastrophicFactor());
        if (t.logScale) {
            return nats;
        }
        if (metric.contains("bpb") || metric.contains("bits")) {
            return nats / Math.log(2);
        }
        return metric.contains("loss") || metric.contains("ce") || metric.contains("nll") ? nats : Double.NaN;
    }

    /** How far checkpoint {@code index} sits below what its trend expected, in noise units; NaN if untested. */
    double pointZ(TrajectoryState t, int index) {
        Residual residual = residual(t, index);
        return residual == null ? Double.NaN : residual.z();
    }

    /**
     * A checkpoint against what its trend expected: the oriented expected score, the noise unit of the
     * difference and the drop in those units (positive: fell).
     */
    record Residual(double z, double expected, double unit) {
    }

    /** The residual of checkpoint {@code index}, or null while it cannot be tested. */
    Residual residual(TrajectoryState t, int index) {
        NoiseEstimate noise = analysis.noise(t, index, seedsAt(t, index));
        Expectation expected = analysis.expectation(t, index, noise.total());
        if (expected == null || !noise.isKnown()) {
            return null;
        }
        double unit = noise.total() * expected.spread();
        return new Residual((expected.score() - t.orientedMean(index)) / unit, expected.score(), unit);
    }

    /**
     * The first checkpoint from {@code firstChanged − 5} on where a test passes, or null. Earlier
     * checkpoints cannot have changed their verdict (the hindsight test looks up to 4 + 2 checkpoints past
     * the first it tests).
     */
    Onset findOnset(TrajectoryState t, int firstChanged, double dof) {
        int lookBack = TrajectoryAnalysis.BRACKET_SIDE + HINDSIGHT_SPANS - 1;
        for (int k = Math.max(0, firstChanged - lookBack); k < t.recent.size(); k++) {
            if (t.recent.get(k).step <= t.lastEpisodeEndStep) {
                continue;
            }
            Onset onset = testAt(t, k, dof);
            if (onset != null) {
                return onset;
            }
        }
        return null;
    }

    private Onset testAt(TrajectoryState t, int k, double dof) {
        long m = t.checkpointsSeen;
        double single = settings.confirmWithNext() ? Significance.singleCheckpointZ(settings.alpha(), m, dof)
                : Significance.upperQuantile(settings.alpha() / Math.max(1, m), dof);
        Reference reference = analysis.reference(t, k);
        NoiseEstimate noise = analysis.noise(t, k, seedsAt(t, k));
        Expectation expected = analysis.expectation(t, k, noise.total());
        if (reference != null && expected != null && noise.isKnown()) {
            double unit = noise.total() * expected.spread();
            double z = (expected.score() - t.orientedMean(k)) / unit;
            long step = t.recent.get(k).step;
            if (z >= single) {
                return new Onset(k, step, asReference(expected, k, t), noise, unit, z, single, "single", null,
                        hadSkill(t, reference, noise));
            }
            // Only a dip whose first checkpoint already looked low against what came before: where the curve
            // bends up sharply (a capability emerging), the line through both sides passes above the last
            // points before the bend.
            if (z >= settings.movedZ()) {
                Onset dip = dipInHindsight(t, k, m, noise, hadSkill(t, reference, noise), dof);
                if (dip != null) {
                    return dip;
                }
            }
            // A step down on a flat or falling stretch: the best recent level remembers where the score was.
            double levelUnit = pointUnit(noise);
            double belowLevel = (reference.level() - t.orientedMean(k)) / levelUnit;
            double belowBest = againstBestLevelZ(m, k, dof);
            if (belowLevel >= belowBest) {
                return new Onset(k, step, reference, noise, levelUnit, belowLevel, belowBest, BELOW_BEST_LEVEL,
                        null, hadSkill(t, reference, noise));
            }
            if (settings.confirmWithNext() && k + 1 < t.recent.size()) {
                Expectation nextExpected = analysis.expectation(t, k + 1, noise.total(), k);
                double next = (nextExpected.score() - t.orientedMean(k + 1))
                        / (noise.total() * nextExpected.spread());
                double pair = Significance.confirmedPairZ(settings.alpha(), m,
                        sharedShare(expected.spread(), nextExpected.spread()), dof);
                if (z >= pair && next >= pair) {
                    return new Onset(k, step, asReference(expected, k, t), noise, unit, Math.min(z, next), pair,
                            "confirmed", t.recent.get(k + 1).step, hadSkill(t, reference, noise));
                }
            }
        }
        return levelDeclineAt(t, k, m, dof);
    }

    /**
     * The mean of 1 to {@code HINDSIGHT_SPANS} checkpoints from k on against the line through the two
     * checkpoints before and the two after them, or null. Every length is a test of its own in the budget.
     */
    private Onset dipInHindsight(TrajectoryState t, int k, long checkpoints, NoiseEstimate noise, boolean hadSkill,
                                 double dof) {
        for (int length = 1; length <= HINDSIGHT_SPANS; length++) {
            // The mean of a longer dip has a lighter tail than one checkpoint.
            double threshold = Significance.singleCheckpointZ(settings.alpha(), checkpoints * HINDSIGHT_SPANS,
                    Significance.dofOfMean(dof, length));
            Expectation line = analysis.bracketed(t, k, length);
            if (line == null) {
                return null;
            }
            int last = k + length - 1;
            double unit = noise.total() * line.spread();
            double z = (line.score() - analysis.level(t, k, last)) / unit;
            if (z >= threshold) {
                return new Onset(k, t.recent.get(k).step, asReference(line, k, t), noise, unit, z, threshold,
                        HINDSIGHT, t.recent.get(last + TrajectoryAnalysis.BRACKET_SIDE).step, hadSkill);
            }
        }
        return null;
    }

    /**
     * The single-checkpoint threshold when the reference is the best of several levels: the best of W
     * levels sits above the true level by chance, so the Bonferroni count also covers the W roughly
     * independent (non-overlapping) levels of the lookback it was picked from.
     */
    private double againstBestLevelZ(long checkpoints, int endExclusive, double dof) {
        int searched = Math.min(endExclusive, settings.lookbackCheckpoints());
        long levels = Math.max(1, searched / settings.levelCheckpoints());
        return Significance.singleCheckpointZ(settings.alpha(), Math.max(1, checkpoints) * levels, dof);
    }

    /**
     * Correlation of two checkpoints' z's measured against expectations fitted on the same checkpoints: the
     * expectation's variance is (spread² − 1) of one checkpoint's, and is shared.
     */
    private static double sharedShare(double spread, double nextSpread) {
        return Math.sqrt((spread * spread - 1) * (nextSpread * nextSpread - 1)) / (spread * nextSpread);
    }

    /** An expectation as the reference an alert reports: the expected score, at the step before the drop. */
    private static Reference asReference(Expectation expected, int k, TrajectoryState t) {
        return new Reference(expected.score(), t.recent.get(k - 1).step);
    }

    /** The mean of the newest {@code levelCheckpoints} up to k against the best level before them. */
    private Onset levelDeclineAt(TrajectoryState t, int k, long checkpoints, double dof) {
        int size = settings.levelCheckpoints();
        int windowStart = k - size + 1;
        // A level that still holds checkpoints of a finished episode would reopen it.
        if (windowStart < 0 || t.recent.get(windowStart).step <= t.lastEpisodeEndStep) {
            return null;
        }
        // Both sides are means of a level's checkpoints: lighter-tailed than one checkpoint.
        double threshold = againstBestLevelZ(checkpoints, windowStart, Significance.dofOfMean(dof, size));
        Reference reference = analysis.reference(t, windowStart);
        NoiseEstimate noise = analysis.noise(t, windowStart, 1);
        if (reference == null || !noise.isKnown()) {
            return null;
        }
        double unit = noise.total() * Math.sqrt(2.0 / size);
        double z = (reference.level() - analysis.level(t, windowStart, k)) / unit;
        if (z < threshold) {
            return null;
        }
        return new Onset(k, t.recent.get(windowStart).step, reference, noise, unit, z, threshold, "level", null,
                hadSkill(t, reference, noise));
    }

    /** The firing record of an onset; also opens the episode in the state. */
    Alert open(EvalRunState run, TrajectoryState t, Onset onset, EvalPoint point) {
        double reference = t.reported(onset.reference().level());
        double score = t.reported(onset.isLevelDecline()
                ? analysis.level(t, onset.index() - settings.levelCheckpoints() + 1, onset.index())
                : t.orientedMean(onset.index()));
        List<String> movedTogether = movedTogether(run, point.trajectoryKey(), onset.onsetStep());
        int otherBenchmarks = otherBenchmarks(run, point.benchmark(), movedTogether);
        int othersEvaluated = otherBenchmarksEvaluated(run, point.benchmark(), onset.onsetStep());
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("test", onset.kind());
        details.put("referenceScore", reference);
        details.put("referenceStep", onset.reference().step());
        details.put("score", score);
        details.put("dropStep", onset.onsetStep());
        if (onset.confirmedByStep() != null) {
            details.put("confirmedByStep", onset.confirmedByStep());
        }
        details.put("drop", onset.reference().level() - t.oriented(score));
        details.put("noise", onset.noise().total());
        details.put("noiseBinomial", onset.noise().binomial());
        details.put("noiseSeed", onset.noise().seed());
        details.put("noiseEmpirical", onset.noise().empirical());
        details.put("z", onset.z());
        details.put("zThreshold", onset.threshold());
        details.put("checkpoints", t.checkpointsSeen);
        details.put("otherTrajectoriesMoved", movedTogether.size());
        details.put("otherBenchmarksMoved", otherBenchmarks);
        details.put("otherBenchmarksEvaluated", othersEvaluated);
        details.put("trajectoriesInRun", run.trajectories.size());
        details.put("movedTogether", movedTogether);
        Double constantAnswerRate = constantAnswerRate(t, score, onset.noise());
        String note = "";
        if (constantAnswerRate != null) {
            details.put("constantAnswerRate", constantAnswerRate);
            note = String.format(Locale.ROOT, " The new score equals the accuracy of always giving the same "
                    + "answer (%s): the model may have collapsed to one class; check the prompt format.",
                    fmt(constantAnswerRate));
        }
        Alert alert = Alert.firing(t.run, AlertType.eval_regression, Severity.ticket, onset.onsetStep())
                .benchmark(t.benchmark, t.metric)
                .detectedAt(point.step(), point.timeMs())
                .value(score)
                .threshold(onset.threshold())
                .summary(summary(t, onset, reference, score, movedTogether.size(), otherBenchmarks, othersEvaluated)
                        + note)
                .details(details)
                .build();
        t.openRegressionId = alert.id();
        t.regressionOnsetStep = onset.onsetStep();
        t.regressionReference = onset.reference().level();
        t.regressionUnit = onset.unit();
        t.regressionIsLevelDecline = onset.isLevelDecline();
        return alert;
    }

    /** The resolved record when the newest checkpoint is back near the episode's reference, else null. */
    Alert resolveIfRecovered(TrajectoryState t, EvalPoint point) {
        int newest = t.recent.size() - 1;
        if (t.openRegressionId == null || newest < 0) {
            return null;
        }
        // A short episode closes once evals.regression.resolve.checkpoints checkpoints in a row are back (a swing
        // that falls straight back is the same episode); one open longer than evals.regression.resolve.hold.within
        // at its first (see EvalSettings).
        int since = 0;
        for (int i = newest; i >= 0 && t.recent.get(i).step > t.regressionOnsetStep; i--) {
            since++;
        }
        if (since == 0) { // the drop's own checkpoint was re-evaluated: back means the drop was a broken evaluation
            return recoveryZ(t, newest) < settings.resolveZ() ? resolvedAt(t, point, newest) : null;
        }
        int needed = since > settings.resolveHoldWithin() ? 1 : settings.resolveCheckpoints();
        for (int i = newest; i > newest - needed; i--) {
            if (i < 0 || t.recent.get(i).step <= t.regressionOnsetStep || recoveryZ(t, i) >= settings.resolveZ()) {
                return null;
            }
        }
        return resolvedAt(t, point, newest);
    }

    /**
     * Closes the open episode at checkpoint {@code backIndex}, where it was back, although the recovery was not yet
     * confirmed: a gross drop after it is a new episode and must not be held in the old one.
     */
    Alert resolveAtBack(TrajectoryState t, EvalPoint point, int backIndex) {
        return t.openRegressionId == null ? null : resolvedAt(t, point, backIndex);
    }

    private Alert resolvedAt(TrajectoryState t, EvalPoint point, int index) {
        double current = current(t, index);
        double z = (t.regressionReference - current) / t.regressionUnit;
        long step = t.recent.get(index).step;
        String why = String.format(Locale.ROOT,
                "%s %s of run %s recovered: %s at step %d is back within %.1f noise units of the level "
                        + "before the drop (%s).",
                t.benchmark, t.metric, t.run, fmt(t.reported(current)), step, settings.resolveZ(),
                fmt(t.reported(t.regressionReference)));
        Alert resolved = Alert.firing(t.run, AlertType.eval_regression, Severity.ticket, t.regressionOnsetStep)
                .id(t.openRegressionId)
                .benchmark(t.benchmark, t.metric)
                .value(t.reported(current))
                .details(Map.of("z", z, "recoveredAtStep", step))
                .build()
                .resolvedAt(point.step(), point.timeMs(), why);
        t.openRegressionId = null;
        t.lastEpisodeEndStep = step;
        return resolved;
    }

    /** Checkpoint {@code index} (the level ending there, for a decline) below the open episode's reference, in its unit. */
    double recoveryZ(TrajectoryState t, int index) {
        return (t.regressionReference - current(t, index)) / t.regressionUnit;
    }

    private double current(TrajectoryState t, int index) {
        return t.regressionIsLevelDecline
                ? analysis.level(t, Math.max(0, index - settings.levelCheckpoints() + 1), index)
                : t.orientedMean(index);
    }

    static int seedsAt(TrajectoryState t, int index) {
        return index < t.recent.size() ? t.recent.get(index).scores.size() : 1;
    }

    /** A checkpoint minus a level of L checkpoints carries the noise of both. */
    private double pointUnit(NoiseEstimate noise) {
        return noise.total() * Math.sqrt(1 + 1.0 / settings.levelCheckpoints());
    }

    /** Whether the reference level was clearly above what a model without skill scores. */
    private static boolean hadSkill(TrajectoryState t, Reference reference, NoiseEstimate noise) {
        ChanceLevel chance = TrajectoryAnalysis.chance(t);
        return chance == null || t.reported(reference.level()) >= chance.high() + 2 * noise.total();
    }

    /** For yes/no style tasks: the majority or minority rate the score landed on, else null. */
    private static Double constantAnswerRate(TrajectoryState t, double score, NoiseEstimate noise) {
        ChanceLevel chance = TrajectoryAnalysis.chance(t);
        if (chance == null || !chance.imbalanced()) {
            return null;
        }
        double margin = 2 * noise.total();
        if (Math.abs(score - chance.low()) <= margin) {
            return chance.low();
        }
        return Math.abs(score - chance.high()) <= margin ? chance.high() : null;
    }

    /** Other benchmarks of the run (not other metrics of this one) that fell at {@code step}. */
    static int otherBenchmarksMoved(EvalRunState run, String ownKey, String ownBenchmark, long step) {
        return otherBenchmarks(run, ownBenchmark, movedTogether(run, ownKey, step));
    }

    private static List<String> movedTogether(EvalRunState run, String ownKey, long step) {
        List<String> moved = new ArrayList<>();
        run.trajectories.forEach((key, summary) -> {
            if (!key.equals(ownKey) && summary.droppedAt(step)) {
                moved.add(key);
            }
        });
        moved.sort(null);
        return moved;
    }

    private static int otherBenchmarks(EvalRunState run, String ownBenchmark, List<String> movedKeys) {
        TreeSet<String> names = new TreeSet<>();
        for (String key : movedKeys) {
            String benchmark = run.trajectories.get(key).benchmark;
            if (!ownBenchmark.equals(benchmark)) {
                names.add(benchmark);
            }
        }
        return names.size();
    }

    /**
     * Other benchmarks of the run with a result at or after {@code step}. Results of one checkpoint arrive
     * one benchmark at a time, so the first one to fall cannot yet know whether it fell alone.
     */
    private static int otherBenchmarksEvaluated(EvalRunState run, String ownBenchmark, long step) {
        TreeSet<String> names = new TreeSet<>();
        run.trajectories.values().forEach(summary -> {
            if (summary.benchmark != null && !ownBenchmark.equals(summary.benchmark) && summary.newestStep >= step) {
                names.add(summary.benchmark);
            }
        });
        return names.size();
    }

    private static String summary(TrajectoryState t, Onset onset, double reference, double score,
                                  int movedTrajectories, int otherBenchmarks, int othersEvaluated) {
        if (onset.isGross()) {
            return grossSummary(t, onset, reference, score, otherBenchmarks);
        }
        String what = onset.isLevelDecline()
                ? String.format(Locale.ROOT, "has declined since step %d: its level is %s against %s at step %d",
                        onset.onsetStep(), fmt(score), fmt(reference), onset.reference().step())
                : onset.isAgainstExpectation()
                ? String.format(Locale.ROOT, "fell to %s at step %d where its recent trend expected %s",
                        fmt(score), onset.onsetStep(), fmt(reference))
                : String.format(Locale.ROOT, "fell to %s at step %d from a level of %s at step %d",
                        fmt(score), onset.onsetStep(), fmt(reference), onset.reference().step());
        String where = otherBenchmarks >= 2
                ? String.format(Locale.ROOT, "%d other benchmarks fell at the same checkpoint, the signature of a "
                        + "training event: check the loss around step %d and consider the checkpoint at step %d.",
                        otherBenchmarks, onset.onsetStep(), onset.reference().step())
                : movedTrajectories > 0 || otherBenchmarks == 1
                ? "only this benchmark (and few others) fell so far: check this benchmark's eval setup before "
                        + "blaming the model, and watch the next checkpoints."
                : othersEvaluated == 0
                ? "no other benchmark of this run has results for that checkpoint yet, so whether it fell alone "
                        + "is not known: compare with the other benchmarks as their results arrive."
                : String.format(Locale.ROOT, "none of the %d other benchmarks evaluated at that checkpoint so far "
                        + "fell, which points to this benchmark's eval data or format rather than the model: check "
                        + "its eval setup.", othersEvaluated);
        return String.format(Locale.ROOT, "%s %s of run %s %s, %.1f noise units (beyond the %.1f a %d-checkpoint "
                        + "trajectory allows); %s",
                t.benchmark, t.metric, t.run, what, onset.z(), onset.threshold(), t.checkpointsSeen, where);
    }

    private static String grossSummary(TrajectoryState t, Onset onset, double reference, double score,
                                       int otherBenchmarks) {
        String how = CATASTROPHIC.equals(onset.kind()) && !t.higherIsBetter
                ? String.format(Locale.ROOT, "a %.1f-fold perplexity", Math.exp(onset.z() * (t.metric != null
                        && (t.metric.toLowerCase(Locale.ROOT).contains("bpb")
                        || t.metric.toLowerCase(Locale.ROOT).contains("bits")) ? Math.log(2) : 1)))
                : String.format(Locale.ROOT, "%.0f sampling errors", onset.z());
        ChanceLevel chance = TrajectoryAnalysis.chance(t);
        String chancePart = chance == null || !t.higherIsBetter ? "" : String.format(Locale.ROOT,
                ", %.0f%% of its margin above chance (%s)", 100 * (reference - score) / (reference - chance.high()),
                fmt(chance.high()));
        String where = otherBenchmarks >= 2
                ? String.format(Locale.ROOT, " %d other benchmarks fell at the same checkpoint: check the loss "
                        + "around step %d.", otherBenchmarks, onset.onsetStep())
                : " Check the checkpoint and this benchmark's eval job.";
        return String.format(Locale.ROOT, "%s %s of run %s fell to %s at step %d from a level of %s at step %d: "
                        + "%s%s. A drop this large is reported whatever class or noise estimate the benchmark "
                        + "has (%s).%s",
                t.benchmark, t.metric, t.run, fmt(score), onset.onsetStep(), fmt(reference),
                onset.reference().step(), how, chancePart, onset.kind(), where);
    }

    static String fmt(double value) {
        return Math.abs(value) >= 100 ? String.format(Locale.ROOT, "%.1f", value)
                : String.format(Locale.ROOT, "%.4g", value);
    }
}
