package io.runwatch.core.evals;

import java.util.HashMap;

/**
 * What the evaluation detectors remember about one run across its trajectories: a small summary per
 * trajectory for the capability gauges and for telling which benchmarks moved together. The trajectories
 * themselves live in {@link TrajectoryState}s. Plain mutable fields so the topology can store it as JSON;
 * its size grows with the number of benchmarks, never with the length of the run.
 */
public final class EvalRunState {
    /** Most recent drops remembered per trajectory. */
    static final int DROPS_REMEMBERED = 3;

    /** Per trajectory key ({@code EvalPoint.trajectoryKey()}). */
    public HashMap<String, TrajectorySummary> trajectories = new HashMap<>();
    /** Per benchmark: how its drops came and went (see {@code FlakyClassifier}). */
    public HashMap<String, BenchmarkSwings> benchmarks = new HashMap<>();
    /**
     * Neighbour residuals of all the run's trajectories and how many were beyond 3 noise units: the run's
     * eval harness sets the tail a young trajectory of it starts from (see {@code TrajectoryAnalysis#tailDof}).
     */
    public long tailResiduals;
    public long tailResidualsBeyond3;

    /** Whether drops of {@code benchmark} alone are currently not ticketed. */
    public boolean isFlaky(String benchmark) {
        BenchmarkSwings swings = benchmarks.get(benchmark);
        return swings != null && swings.flaky;
    }

    /**
     * The drops of one benchmark over all its metrics: a format-sensitive benchmark swings in each of them,
     * often at the same checkpoint, which counts once.
     */
    public static final class BenchmarkSwings {
        /** eval_regression episodes in a row that fell alone and recovered quickly. */
        public int isolatedRecoveries;
        /** Onset step of the newest episode counted; episodes at or before it are the same swing again. */
        public long lastCountedOnsetStep = Long.MIN_VALUE;
        /** Classed flaky: drops of this benchmark alone are not ticketed. */
        public boolean flaky;
        /** Checkpoints the benchmark's trajectories had seen at its latest isolated drop (the calm clock). */
        public long lastSwingCheckpoint;
        /** Id of the open flaky eval_noisy record, or null, and the step its episode is keyed by. */
        public String alertId;
        public long classedAtStep;
    }

    public static final class TrajectorySummary {
        public String benchmark;
        public String metric;
        public String capability;
        /** Empirical swing / sampling error of the newest checkpoints; NaN while unknown (or no sampling error). */
        public double swingRatio = Double.NaN;
        /** (level − chance) / (1 − chance) of the newest checkpoints; NaN for losses and perplexities. */
        public double normalisedScore = Double.NaN;
        /** Steps of the last few checkpoints that fell at least {@code movedZ} noise units, oldest first. */
        public long[] dropSteps = new long[0];
        public double[] dropZ = new double[0];
        /** The latest step with a result: whether this trajectory has been evaluated at a checkpoint yet. */
        public long newestStep = Long.MIN_VALUE;

        /** Remembers that the checkpoint at {@code step} fell by {@code z} noise units. */
        void recordDrop(long step, double z) {
            for (int i = 0; i < dropSteps.length; i++) {
                if (dropSteps[i] == step) {
                    dropZ[i] = z;
                    return;
                }
            }
            int keep = Math.min(dropSteps.length, DROPS_REMEMBERED - 1);
            long[] steps = new long[keep + 1];
            double[] zs = new double[keep + 1];
            System.arraycopy(dropSteps, dropSteps.length - keep, steps, 0, keep);
            System.arraycopy(dropZ, dropZ.length - keep, zs, 0, keep);
            steps[keep] = step;
            zs[keep] = z;
            dropSteps = steps;
            dropZ = zs;
        }

        /** Forgets a drop that a re-evaluation took back. */
        void clearDrop(long step) {
            for (int i = 0; i < dropSteps.length; i++) {
                if (dropSteps[i] == step) {
                    dropZ[i] = 0;
                }
            }
        }

        boolean droppedAt(long step) {
            for (int i = 0; i < dropSteps.length; i++) {
                if (dropSteps[i] == step && dropZ[i] > 0) {
                    return true;
                }
            }
            return false;
        }
    }
}
