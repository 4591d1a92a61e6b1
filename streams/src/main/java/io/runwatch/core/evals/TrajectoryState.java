package io.runwatch.core.evals;

import java.util.ArrayList;

/**
 * What the evaluation detectors remember about one trajectory: one (run, benchmark, metric). Stored as JSON
 * in a changelogged store keyed by run + {@code EvalPoint.trajectoryKey()}; its size is bounded by the
 * retained-checkpoint setting, whatever the length of the run.
 *
 * <p>Scores are kept as reported; detectors work on the <em>oriented</em> score (see {@link #oriented}),
 * which rises when the model gets better for every metric.
 */
public final class TrajectoryState {
    public String run;
    public String benchmark;
    public String metric;
    public boolean higherIsBetter = true;
    /** Perplexities are compared on a log scale (log perplexity is a loss). */
    public boolean logScale;
    /** Number of items of the benchmark; 0 when unknown. */
    public int items;

    /** Distinct checkpoints ever seen: the number of regression tests the run has had so far. */
    public long checkpointsSeen;
    /** The newest checkpoints, ascending by step. */
    public ArrayList<Checkpoint> recent = new ArrayList<>();
    /** Oriented scores of the checkpoints that left {@link #recent}. */
    public ValueSketch older = new ValueSketch();
    /** Step of the newest checkpoint that left {@link #recent}; results at or before it arrive too late. */
    public long compressedThroughStep = Long.MIN_VALUE;
    /**
     * The tail of this trajectory's noise, counted over its whole life in O(1): neighbour residuals measured
     * (each checkpoint once, when the one after it arrives) and how many were beyond 3 noise units; see
     * {@code TrajectoryAnalysis#tailDof}.
     */
    public long tailResiduals;
    public long tailResidualsBeyond3;
    /** Σ over all checkpoint pairs of sign(Δstep)·sign(Δscore): Kendall's tau numerator. */
    public double kendallSum;

    /** Earliest checkpoint seen: its score estimates chance for benchmarks the catalogue does not know. */
    public long earliestStep = Long.MAX_VALUE;
    public double earliestScore = Double.NaN;

    /** Open eval_regression episode, or null. */
    public String openRegressionId;
    public long regressionOnsetStep;
    /** Oriented reference level and noise unit the open episode is measured against. */
    public double regressionReference;
    public double regressionUnit;
    /**
     * Step of the open (or just resolved) episode's first checkpoint back within the resolve band, Long.MIN_VALUE
     * before: how long the drop lasted, whatever the checkpoints that confirmed the recovery (flaky counting).
     */
    public long regressionBackStep = Long.MIN_VALUE;
    /** True when the open episode is a slow decline of the level rather than a drop of single checkpoints. */
    public boolean regressionIsLevelDecline;
    /** New episodes start only after the step where the previous one resolved. */
    public long lastEpisodeEndStep = Long.MIN_VALUE;

    /** Currently indistinguishable from noise (regressions are not tested while true). */
    public boolean noisy;
    /** Why the trajectory was classed noisy ("chance" or "binary_flip"). */
    public String noisyReason;
    /** Id of the one eval_noisy alert of this trajectory, once sent. */
    public String noisyAlertId;
    public boolean noisyAlertResolved;
    /** Id of the one eval_noisy record with reason unstable, once sent (it does not mute regressions). */
    public String unstableAlertId;

    /** One evaluated checkpoint: its score per seed (one entry for single-seed runs). */
    public static final class Checkpoint {
        public long step;
        public ArrayList<String> seeds = new ArrayList<>();
        public ArrayList<Double> scores = new ArrayList<>();
        /** Newest reported standard error; NaN when none was reported. */
        public double stderr = Double.NaN;

        public Checkpoint() {
        }

        Checkpoint(long step) {
            this.step = step;
        }

        /** Mean over seeds, as reported (not oriented). */
        public double mean() {
            double sum = 0;
            for (double s : scores) {
                sum += s;
            }
            return sum / scores.size();
        }

        /** Sample variance across seeds; NaN with a single seed. */
        public double seedVariance() {
            int k = scores.size();
            if (k < 2) {
                return Double.NaN;
            }
            double mean = mean();
            double sum = 0;
            for (double s : scores) {
                sum += (s - mean) * (s - mean);
            }
            return sum / (k - 1);
        }
    }

    /** The score turned so that higher is always better (negated losses, negated log perplexity). */
    public double oriented(double reported) {
        if (higherIsBetter) {
            return reported;
        }
        return logScale ? -Math.log(reported) : -reported;
    }

    /** Inverse of {@link #oriented}. */
    public double reported(double orientedScore) {
        if (higherIsBetter) {
            return orientedScore;
        }
        return logScale ? Math.exp(-orientedScore) : -orientedScore;
    }

    public double orientedMean(int index) {
        return oriented(recent.get(index).mean());
    }

    /** Kendall's tau (oriented) over every checkpoint the trajectory has had; NaN below two. */
    public double kendallTauAll() {
        double n = recent.size() + older.size();
        return n < 2 ? Double.NaN : kendallSum / (n * (n - 1) / 2);
    }

    /** Index of the checkpoint at {@code step} in {@link #recent}, or −(insertion point) − 1. */
    int indexOf(long step) {
        int lo = 0;
        int hi = recent.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long s = recent.get(mid).step;
            if (s < step) {
                lo = mid + 1;
            } else if (s > step) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -(lo + 1);
    }
}
