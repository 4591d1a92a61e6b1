package io.runwatch.core.evals;

import io.runwatch.core.evals.TrajectoryState.Checkpoint;
import io.runwatch.core.stats.RobustStats;
import java.util.Arrays;

/**
 * Statistics over a trajectory's retained checkpoints, all on oriented scores and all O(window): the
 * reference level a drop is measured from, the noise model, and Kendall's tau.
 */
final class TrajectoryAnalysis {
    private static final int MIN_RESIDUALS = 4;
    /** Variance of a MAD-based σ estimate from n normal residuals is about 1.36 σ²/n (37% efficiency). */
    private static final double MAD_VARIANCE = 1.36;
    /**
     * The empirical spread replaces the sampling error only when it is this many of its own standard errors
     * above it (one-sided 95%): a trajectory that really moves more than its test set explains is noisier,
     * one whose few residuals happen to read high is not.
     */
    private static final double EXCESS_SPREAD_Z = 1.645;
    /** Checkpoints the local trend is fitted on: enough for a stable slope, few enough to follow a bend. */
    private static final int TREND_CHECKPOINTS = 8;
    private static final int MIN_TREND_CHECKPOINTS = 5;
    /** Recent one-step errors of the trend whose median corrects its overshoot on a flattening curve. */
    private static final int TREND_RESIDUALS = 4;
    private static final int MIN_TREND_RESIDUALS = 3;
    /** Checkpoints on each side of a checkpoint tested in hindsight. */
    static final int BRACKET_SIDE = 2;

    private final EvalSettings settings;

    TrajectoryAnalysis(EvalSettings settings) {
        this.settings = settings;
    }

    /** The best level (mean of {@code levelCheckpoints} consecutive checkpoints) and its window's last step. */
    record Reference(double level, long step) {
    }

    /**
     * The best level among the windows that end before {@code endExclusive} within the lookback; null when
     * fewer than {@code minCheckpoints} precede it. A level rather than the single best checkpoint, so one
     * lucky evaluation does not set the bar. It remembers where a score stood before a step down or a slow
     * decline; a rising curve is followed by {@link #expectation} instead.
     */
    Reference reference(TrajectoryState t, int endExclusive) {
        int size = settings.levelCheckpoints();
        int from = Math.max(0, endExclusive - settings.lookbackCheckpoints());
        if (endExclusive < settings.minCheckpoints() || endExclusive - from < size) {
            return null;
        }
        double best = Double.NEGATIVE_INFINITY;
        long bestStep = 0;
        double windowSum = 0;
        for (int i = from; i < endExclusive; i++) {
            windowSum += t.orientedMean(i);
            if (i - from >= size) {
                windowSum -= t.orientedMean(i - size);
            }
            if (i - from >= size - 1 && windowSum / size > best) {
                best = windowSum / size;
                bestStep = t.recent.get(i).step;
            }
        }
        return new Reference(best, bestStep);
    }

    /**
     * What checkpoint {@code index} should score if nothing went wrong, from the checkpoints before it.
     *
     * @param score         expected oriented score
     * @param fromStep      first step of the checkpoints the trend was fitted on
     * @param slopePerStep  the fitted improvement per step (never negative)
     * @param correction    how far the straight trend has recently overshot (≤ 0), already in {@code score}
     * @param spread        standard deviation of the expectation's error, in units of one checkpoint's noise
     */
    record Expectation(double score, long fromStep, double slopePerStep, double correction, double spread) {
    }

    /**
     * A robust local trend: the Theil–Sen line through the {@code TREND_CHECKPOINTS} checkpoints before
     * {@code index}, extrapolated to its step, so that a rising curve no longer hides a drop the way a level
     * does. Two guards keep the extrapolation honest: a curve that flattens (every learning curve does)
     * makes a straight line overshoot, so the same line's one-step errors over the previous checkpoints are
     * measured and their median overshoot subtracted; and where the trend is flat or falling, or too new to
     * have a track record, the expectation is the level of the last {@code levelCheckpoints}, so a decline
     * is never extrapolated away. Null when fewer than a level's worth of checkpoints precede the index.
     */
    Expectation expectation(TrajectoryState t, int index, double noise) {
        return expectation(t, index, noise, -1);
    }

    /**
     * The same, with checkpoint {@code skipped} left out of the fit: the second checkpoint of a drop is then
     * measured against the trend before the drop, not against one the drop already pulled down.
     */
    Expectation expectation(TrajectoryState t, int index, double noise, int skipped) {
        int levelSize = settings.levelCheckpoints();
        int[] levelWindow = before(t, index, levelSize, skipped);
        if (levelWindow == null) {
            return null;
        }
        Expectation flat = new Expectation(mean(t, levelWindow), t.recent.get(levelWindow[0]).step, 0, 0,
                Math.sqrt(1 + 1.0 / levelSize));
        // Early on, a shorter line, so that the first checkpoints after the steepest rise are covered too.
        int fitted = Math.min(TREND_CHECKPOINTS, index - (skipped >= 0 ? 1 : 0) - MIN_TREND_RESIDUALS);
        int[] window = fitted < MIN_TREND_CHECKPOINTS ? null : before(t, index, fitted, skipped);
        if (window == null || !evenlySpaced(t, window, index)) {
            return flat;
        }
        Line line = theilSen(t, window);
        if (!line.isRising(noise)) {
            return flat;
        }
        int residualCount = 0;
        double[] residuals = new double[TREND_RESIDUALS];
        int[] recentFits = before(t, index, Math.min(TREND_RESIDUALS, window.length), skipped);
        for (int i : recentFits) {
            int[] earlierWindow = before(t, i, fitted, skipped);
            if (earlierWindow != null) {
                long step = t.recent.get(i).step;
                residuals[residualCount++] = t.orientedMean(i) - theilSen(t, earlierWindow).at(step);
            }
        }
        if (residualCount < MIN_TREND_RESIDUALS) {
            return flat;
        }
        double correction = Math.min(0, RobustStats.median(residuals, residualCount));
        long step = t.recent.get(index).step;
        // The line's own uncertainty at the step, and the median's: about √(π/2n) of one residual.
        double spread = Math.sqrt((1 + line.variance(step)) * (1 + Math.PI / (2 * residualCount)));
        // A clearly rising curve is never expected below its recent level: the overshoot correction comes from
        // lines fitted a few checkpoints back, which on the steep start of a curve overshot far more than the
        // line fitted now does, and would otherwise drag the expectation under checkpoints already reached.
        if (line.at(step) + correction < flat.score()) {
            return flat;
        }
        return new Expectation(line.at(step) + correction, line.fromStep, line.slope, correction, spread);
    }

    /**
     * In hindsight, once two later checkpoints exist: the straight line through the two checkpoints before
     * the {@code length} checkpoints from {@code first} on and the two after them, at the segment's mean
     * step. On the steep early part of a curve this is far more certain than extrapolating a trend (spread
     * 1.12 against 1.5 for one checkpoint), so a dip of one to a few checkpoints there is found once the
     * curve is back rather than not at all. The spread is that of the segment's mean (1/length of one
     * checkpoint's variance) plus the line's own. Null unless the checkpoints are about evenly spaced.
     */
    Expectation bracketed(TrajectoryState t, int first, int length) {
        int last = first + length - 1;
        if (first < BRACKET_SIDE || last + BRACKET_SIDE >= t.recent.size()) {
            return null;
        }
        int[] around = new int[2 * BRACKET_SIDE];
        for (int i = 0; i < BRACKET_SIDE; i++) {
            around[i] = first - BRACKET_SIDE + i;
            around[BRACKET_SIDE + i] = last + 1 + i;
        }
        long firstGap = t.recent.get(around[1]).step - t.recent.get(around[0]).step;
        for (int i = first - BRACKET_SIDE + 1; i <= last + BRACKET_SIDE; i++) {
            long gap = t.recent.get(i).step - t.recent.get(i - 1).step;
            if (gap > 1.5 * firstGap || firstGap > 1.5 * gap) {
                return null;
            }
        }
        double meanStep = 0;
        double meanScore = 0;
        for (int i : around) {
            meanStep += t.recent.get(i).step;
            meanScore += t.orientedMean(i);
        }
        meanStep /= around.length;
        meanScore /= around.length;
        double sumSquares = 0;
        double sumProducts = 0;
        for (int i : around) {
            double distance = t.recent.get(i).step - meanStep;
            sumSquares += distance * distance;
            sumProducts += distance * (t.orientedMean(i) - meanScore);
        }
        double slope = sumProducts / sumSquares;
        double segmentStep = 0;
        for (int i = first; i <= last; i++) {
            segmentStep += t.recent.get(i).step;
        }
        double distance = segmentStep / length - meanStep;
        double lineVariance = 1.0 / around.length + distance * distance / sumSquares;
        return new Expectation(meanScore + slope * distance, t.recent.get(around[0]).step, slope, 0,
                Math.sqrt(1.0 / length + lineVariance));
    }

    /** The {@code count} checkpoint indices right before {@code index}, leaving out {@code skipped}; or null. */
    private static int[] before(TrajectoryState t, int index, int count, int skipped) {
        if (count <= 0) {
            return null;
        }
        int[] indices = new int[count];
        int filled = 0;
        for (int i = index - 1; i >= 0 && filled < count; i--) {
            if (i != skipped) {
                indices[count - 1 - filled++] = i;
            }
        }
        return filled == count ? indices : null;
    }

    private static double mean(TrajectoryState t, int[] indices) {
        double sum = 0;
        for (int i : indices) {
            sum += t.orientedMean(i);
        }
        return sum / indices.length;
    }

    /**
     * Whether the trend window's checkpoints are about evenly spaced in steps and the target is the next
     * one: a straight line is trusted only one checkpoint interval ahead. Not across the log-spaced early
     * checkpoints some suites publish, and not over checkpoints whose results have not arrived yet (they are
     * tested again when the gap fills).
     */
    private static boolean evenlySpaced(TrajectoryState t, int[] window, int index) {
        long[] gaps = new long[window.length - 1];
        for (int i = 1; i < window.length; i++) {
            gaps[i - 1] = t.recent.get(window[i]).step - t.recent.get(window[i - 1]).step;
        }
        Arrays.sort(gaps);
        long ahead = t.recent.get(index).step - t.recent.get(window[window.length - 1]).step;
        return gaps[gaps.length - 1] <= 1.5 * gaps[0] && ahead <= 1.5 * gaps[gaps.length / 2];
    }

    /** A straight line through checkpoints, with what is needed to tell how uncertain it is at a step. */
    private record Line(double intercept, double slope, double meanStep, double sumSquares, int count,
                        long fromStep) {
        double at(long step) {
            return intercept + slope * step;
        }

        /** Whether the rise is clearly more than noise: a slope two standard errors above zero. */
        boolean isRising(double noise) {
            return slope * Math.sqrt(sumSquares) >= 2 * noise;
        }

        /** Variance of the line's value at {@code step}, in units of one checkpoint's noise variance. */
        double variance(long step) {
            double distance = step - meanStep;
            return 1.0 / count + distance * distance / sumSquares;
        }
    }

    /** Theil–Sen line (slope never negative) through the checkpoints of {@code window}. */
    private static Line theilSen(TrajectoryState t, int[] window) {
        int count = window.length;
        double[] steps = new double[count];
        double[] scores = new double[count];
        double meanStep = 0;
        for (int a = 0; a < count; a++) {
            steps[a] = t.recent.get(window[a]).step;
            scores[a] = t.orientedMean(window[a]);
            meanStep += steps[a];
        }
        meanStep /= count;
        double slope = Math.max(0, RobustStats.theilSenSlope(steps, scores));
        double[] intercepts = new double[count];
        double sumSquares = 0;
        for (int a = 0; a < count; a++) {
            long step = t.recent.get(window[a]).step;
            intercepts[a] = t.orientedMean(window[a]) - slope * step;
            sumSquares += (step - meanStep) * (step - meanStep);
        }
        return new Line(RobustStats.median(intercepts), slope, meanStep, sumSquares, count,
                t.recent.get(window[0]).step);
    }

    /** Median oriented score of checkpoints [from, toInclusive]. */
    double medianLevel(TrajectoryState t, int from, int toInclusive) {
        double[] values = new double[toInclusive - from + 1];
        for (int i = from; i <= toInclusive; i++) {
            values[i - from] = t.orientedMean(i);
        }
        return RobustStats.median(values);
    }

    /** Mean oriented score of checkpoints [from, toInclusive]. */
    double level(TrajectoryState t, int from, int toInclusive) {
        double sum = 0;
        for (int i = from; i <= toInclusive; i++) {
            sum += t.orientedMean(i);
        }
        return sum / (toInclusive - from + 1);
    }

    /**
     * Noise of one checkpoint's oriented score, estimated from the {@code noiseWindow} checkpoints before
     * {@code endExclusive}; {@code seedsAtTarget} is how many seeds the tested checkpoint averages.
     */
    NoiseEstimate noise(TrajectoryState t, int endExclusive, int seedsAtTarget) {
        int from = Math.max(0, endExclusive - settings.noiseWindow());
        // Each seed's model answers the items afresh, so the sampling error of a mean over seeds shrinks by √seeds.
        double binomialOfMean = binomial(t, from, endExclusive) / Math.sqrt(Math.max(1, seedsAtTarget));
        double seed = seed(t, from, endExclusive, seedsAtTarget);
        int empiricalFrom = Math.max(0, endExclusive - settings.empiricalNoiseWindow());
        Spread spread = empirical(t, empiricalFrom, endExclusive);
        double empirical = spread.sigma();
        double sampling = Math.max(binomialOfMean, seed);
        boolean counts = !Double.isNaN(empirical) && (sampling == 0 || empirical
                > sampling * (1 + EXCESS_SPREAD_Z * Math.sqrt(MAD_VARIANCE / spread.effectiveResiduals())));
        return new NoiseEstimate(binomialOfMean, seed, empirical, floor(t, from, endExclusive), counts);
    }

    /**
     * The tail-aware noise model: the degrees of freedom of the Student-t (scaled to robust sigma 1) the
     * thresholds assume for this trajectory, from shares of neighbour residuals beyond 3 noise units, in two
     * layers: the run's (all its trajectories: one eval harness, one tail) pooled with
     * {@value #TAIL_PRIOR_RESIDUALS} residuals of the prior share that {@code evals.noise.tail.dof} gives (fitted
     * on the real tables); then the trajectory's own pooled with {@value #TAIL_PRIOR_RESIDUALS} of the run's. The
     * share is mapped back to a dof on the grid of {@link Significance#TAIL_DOFS}. A young run gets the prior, a
     * young trajectory of an older run the run's tail, one with hundreds of checkpoints mostly its own. 0
     * (Gaussian) when the prior is 0.
     */
    double tailDof(TrajectoryState t, EvalRunState run) {
        double prior = settings.tailDof();
        if (prior <= 0) {
            return 0;
        }
        double runShare = (run.tailResidualsBeyond3 + TAIL_PRIOR_RESIDUALS * Significance.residualShareBeyond3(prior))
                / (run.tailResiduals + TAIL_PRIOR_RESIDUALS);
        double share = (t.tailResidualsBeyond3 + TAIL_PRIOR_RESIDUALS * runShare)
                / (t.tailResiduals + TAIL_PRIOR_RESIDUALS);
        return Significance.dofForShare(share);
    }

    /**
     * Residuals a prior tail counts as: about 2 exceedances of 3 noise units at the fitted share (1.1 %), so
     * the evidence below it outweighs it only after ~200 residuals, when its own share is known to about ±45 %
     * (a count of ~5 exceedances).
     */
    static final int TAIL_PRIOR_RESIDUALS = 200;
    /** The first checkpoints bend too fast for a line through neighbours; their residuals are not noise. */
    private static final int TAIL_WARMUP_CHECKPOINTS = 10;

    /**
     * Counts the residual of the checkpoint before the newest, once the newest (at {@code changed}) arrived:
     * each checkpoint once, in arrival order of the newest; late fills and re-deliveries are not counted again.
     * Not while an episode is open or right after one, so a found drop does not widen the noise's tail, nor
     * while the trajectory is classed noisy (a yes/no task flipping between its majority rate and the
     * complement). The run's pool leaves out trajectories that swing beyond their sampling error or whose
     * benchmark is flaky: their own tail is theirs, not the harness's.
     */
    void countTailResidual(TrajectoryState t, EvalRunState run, int changed) {
        int size = t.recent.size();
        if (changed != size - 1 || size < 3 || t.checkpointsSeen <= TAIL_WARMUP_CHECKPOINTS || t.noisy
                || t.openRegressionId != null || t.lastEpisodeEndStep >= t.recent.get(size - 3).step) {
            return;
        }
        int i = size - 2;
        double before = t.recent.get(i - 1).step;
        double after = t.recent.get(i + 1).step;
        double w = (after - t.recent.get(i).step) / (after - before);
        double expected = w * t.orientedMean(i - 1) + (1 - w) * t.orientedMean(i + 1);
        double residual = Math.abs(t.orientedMean(i) - expected) / Math.sqrt(1 + w * w + (1 - w) * (1 - w));
        NoiseEstimate noise = noise(t, i, RegressionDetector.seedsAt(t, i));
        if (!noise.isKnown()) {
            return;
        }
        boolean beyond = residual > 3 * noise.total();
        t.tailResiduals++;
        t.tailResidualsBeyond3 += beyond ? 1 : 0;
        boolean swings = noise.empiricalCounts() && noise.empirical() > Math.max(noise.binomial(), noise.seed());
        if (!swings && !run.isFlaky(t.benchmark)) {
            run.tailResiduals++;
            run.tailResidualsBeyond3 += beyond ? 1 : 0;
        }
    }

    /**
     * {@code relativeNoiseFloor} of the window's mean score ({@code bpbNoiseFloor} for bits per byte and
     * perplexities: means over a benchmark's items, with no sampling error given); log-perplexity differences are
     * already relative.
     */
    private double floor(TrajectoryState t, int from, int to) {
        if (to <= from) {
            return 0;
        }
        double relative = isPerItemMean(t) ? settings.bpbNoiseFloor() : settings.relativeNoiseFloor();
        if (t.logScale) {
            return relative;
        }
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += t.recent.get(i).mean();
        }
        return relative * Math.abs(sum / (to - from));
    }

    /**
     * Bits per byte or a perplexity: a mean over a benchmark's few thousand items, which moves more between
     * checkpoints than a validation loss over millions of tokens.
     */
    private static boolean isPerItemMean(TrajectoryState t) {
        if (t.higherIsBetter || t.metric == null) {
            return false;
        }
        String metric = t.metric.toLowerCase(java.util.Locale.ROOT);
        return t.logScale || metric.contains("bpb") || metric.contains("bits");
    }

    /** The reported stderr (mean over the window), else √(p(1−p)/n) at the window's mean accuracy. */
    private double binomial(TrajectoryState t, int from, int to) {
        double stderrSum = 0;
        int stderrCount = 0;
        double scoreSum = 0;
        for (int i = from; i < to; i++) {
            Checkpoint c = t.recent.get(i);
            scoreSum += c.mean();
            if (!Double.isNaN(c.stderr)) {
                // A perplexity's stderr becomes a log-perplexity stderr by the delta method.
                stderrSum += t.logScale ? c.stderr / c.mean() : c.stderr;
                stderrCount++;
            }
        }
        if (stderrCount > 0) {
            return stderrSum / stderrCount;
        }
        double p = scoreSum / Math.max(1, to - from);
        if (t.items <= 0 || !t.higherIsBetter || p < 0 || p > 1 || to == from) {
            return 0;
        }
        // At p = 0 or 1 the formula says 0, yet one item flipping moves the score by 1/n.
        return Math.max(Math.sqrt(p * (1 - p) / t.items), 1.0 / t.items);
    }

    /** Pooled seed standard deviation over the window, as the error of a mean of seedsAtTarget seeds. */
    private double seed(TrajectoryState t, int from, int to, int seedsAtTarget) {
        double varianceSum = 0;
        int count = 0;
        for (int i = from; i < to; i++) {
            double variance = t.recent.get(i).seedVariance();
            if (!Double.isNaN(variance)) {
                double scale = t.logScale ? 1 / t.recent.get(i).mean() : 1;
                varianceSum += variance * scale * scale;
                count++;
            }
        }
        return count == 0 ? 0 : Math.sqrt(varianceSum / count / Math.max(1, seedsAtTarget));
    }

    /** An empirical spread and how many equally weighted residuals its weighted ones are worth. */
    private record Spread(double sigma, double effectiveResiduals) {
    }

    /**
     * Robust spread around the local trend: each inner checkpoint's residual from the straight line through
     * its two neighbours (weighted by step distance, so uneven checkpoint spacing is fine), scaled to one
     * checkpoint's noise, then the weighted median absolute residual × 1.4826. The median ignores the drop
     * itself. Residuals fade with age ({@code evals.noise.empirical.half.life}): the first checkpoints of a
     * run, where the curve bends too fast for a line through neighbours, should not set the noise for long.
     */
    private Spread empirical(TrajectoryState t, int from, int to) {
        int inner = to - from - 2;
        if (inner < MIN_RESIDUALS) {
            return new Spread(Double.NaN, 0);
        }
        double[][] residualAndWeight = new double[inner][];
        double weightSum = 0;
        double weightSquares = 0;
        for (int i = from + 1; i < to - 1; i++) {
            double before = t.recent.get(i - 1).step;
            double after = t.recent.get(i + 1).step;
            double w = (after - t.recent.get(i).step) / (after - before);
            double expected = w * t.orientedMean(i - 1) + (1 - w) * t.orientedMean(i + 1);
            double residual = Math.abs(t.orientedMean(i) - expected) / Math.sqrt(1 + w * w + (1 - w) * (1 - w));
            double weight = Math.pow(0.5, (to - 2 - i) / settings.empiricalNoiseHalfLife());
            residualAndWeight[i - from - 1] = new double[] {residual, weight};
            weightSum += weight;
            weightSquares += weight * weight;
        }
        Arrays.sort(residualAndWeight, (a, b) -> Double.compare(a[0], b[0]));
        return new Spread(RobustStats.MAD_TO_SIGMA * weightedMedian(residualAndWeight, weightSum),
                weightSum * weightSum / weightSquares);
    }

    /** The value where the cumulative weight of the sorted pairs crosses half (the mean of two on a tie). */
    private static double weightedMedian(double[][] sortedValueAndWeight, double weightSum) {
        double half = weightSum / 2;
        double tolerance = 1e-6 * weightSum;
        double cumulative = 0;
        int last = sortedValueAndWeight.length - 1;
        for (int i = 0; i < last; i++) {
            cumulative += sortedValueAndWeight[i][1];
            if (cumulative >= half - tolerance) {
                return cumulative <= half + tolerance
                        ? (sortedValueAndWeight[i][0] + sortedValueAndWeight[i + 1][0]) / 2
                        : sortedValueAndWeight[i][0];
            }
        }
        return sortedValueAndWeight[last][0];
    }

    /**
     * The accuracy range a model without skill gets on this trajectory's benchmark: from the catalogue,
     * else the score of the step-0 checkpoint (an untrained model guesses), else null (unknown, or not an
     * accuracy).
     */
    static ChanceLevel chance(TrajectoryState t) {
        if (!t.higherIsBetter) {
            return null;
        }
        BenchmarkCatalog.Benchmark known = BenchmarkCatalog.find(t.benchmark);
        if (known != null && !Double.isNaN(known.chance())) {
            return new ChanceLevel(known.noSkillLow(), known.noSkillHigh(), known.isImbalancedClassification());
        }
        if (t.earliestStep == 0 && t.earliestScore >= 0 && t.earliestScore <= 1) {
            return new ChanceLevel(t.earliestScore, t.earliestScore, false);
        }
        return null;
    }

    /** No-skill accuracy range; {@code low < high} for imbalanced classification tasks. */
    record ChanceLevel(double low, double high, boolean imbalanced) {
    }

    /** Kendall's tau (oriented) over the newest {@code window} retained checkpoints; NaN below three. */
    double kendallTauWindow(TrajectoryState t, int window) {
        int from = Math.max(0, t.recent.size() - window);
        int n = t.recent.size() - from;
        if (n < 3) {
            return Double.NaN;
        }
        double sum = 0;
        for (int i = from; i < t.recent.size(); i++) {
            for (int j = i + 1; j < t.recent.size(); j++) {
                sum += Math.signum(t.orientedMean(j) - t.orientedMean(i));
            }
        }
        return sum / (n * (n - 1) / 2.0);
    }

    /** This checkpoint's pairs' share of the Kendall sum if it had oriented score {@code score}. */
    double kendallContribution(TrajectoryState t, int index, double score) {
        double sum = t.older.signSum(score); // every compressed checkpoint is earlier
        for (int j = 0; j < t.recent.size(); j++) {
            if (j != index) {
                sum += Math.signum(index - j) * Math.signum(score - t.orientedMean(j));
            }
        }
        return sum;
    }
}
