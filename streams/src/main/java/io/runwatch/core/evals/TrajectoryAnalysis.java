package io.runwatch.core.evals;

import io.runwatch.core.evals.TrajectoryState.Checkpoint;
import java.util.Arrays;

/**
 * Statistics over a trajectory's retained checkpoints, all on oriented scores and all O(window): the
 * reference level a drop is measured from, the noise model, and Kendall's tau.
 */
final class TrajectoryAnalysis {
    /** MAD → standard deviation for normal noise. */
    private static final double MAD_TO_SIGMA = 1.4826;
    private static final int MIN_RESIDUALS = 4;

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
     * lucky evaluation does not set the bar. No trend extrapolation: on the curved early part of a run it
     * overshoots and pages on nothing (measured: four times the false alerts for no recall).
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
        return new NoiseEstimate(binomial(t, from, endExclusive), seed(t, from, endExclusive, seedsAtTarget),
                empirical(t, from, endExclusive), floor(t, from, endExclusive));
    }

    /** {@code relativeNoiseFloor} of the window's mean score; log-perplexity differences are already relative. */
    private double floor(TrajectoryState t, int from, int to) {
        if (to <= from) {
            return 0;
        }
        if (t.logScale) {
            return settings.relativeNoiseFloor();
        }
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += t.recent.get(i).mean();
        }
        return settings.relativeNoiseFloor() * Math.abs(sum / (to - from));
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

    /**
     * Robust spread around the local trend: each inner checkpoint's residual from the straight line through
     * its two neighbours (weighted by step distance, so uneven checkpoint spacing is fine), scaled to one
     * checkpoint's noise, then the median absolute residual × 1.4826. The median ignores the drop itself.
     */
    private double empirical(TrajectoryState t, int from, int to) {
        int inner = to - from - 2;
        if (inner < MIN_RESIDUALS) {
            return Double.NaN;
        }
        double[] residuals = new double[inner];
        for (int i = from + 1; i < to - 1; i++) {
            double before = t.recent.get(i - 1).step;
            double after = t.recent.get(i + 1).step;
            double w = (after - t.recent.get(i).step) / (after - before);
            double expected = w * t.orientedMean(i - 1) + (1 - w) * t.orientedMean(i + 1);
            residuals[i - from - 1] = Math.abs(t.orientedMean(i) - expected)
                    / Math.sqrt(1 + w * w + (1 - w) * (1 - w));
        }
        Arrays.sort(residuals);
        double median = inner % 2 == 1 ? residuals[inner / 2]
                : (residuals[inner / 2 - 1] + residuals[inner / 2]) / 2;
        return MAD_TO_SIGMA * median;
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
