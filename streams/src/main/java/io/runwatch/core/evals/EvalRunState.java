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
    /**
     * Checkpoints whose residuals are remembered per trajectory for the co-drop test: results of one checkpoint
     * arrive benchmark by benchmark and may overtake the next checkpoint's, so a few, not one.
     */
    static final int RESIDUALS_REMEMBERED = 4;

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

    /** Open eval_co_drop episode, or null (one at a time per run: one notification for one training event). */
    public CoDropEpisode coDrop;
    /** A new co-drop is only tested at checkpoints after the one where the previous episode resolved. */
    public long lastCoDropEndStep = Long.MIN_VALUE;
    /** A significant checkpoint held until its last benchmark reports, or Long.MIN_VALUE. */
    public long pendingCoDropStep = Long.MIN_VALUE;

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

    /** An open eval_co_drop: the checkpoint and, per benchmark that fell, what its recovery is measured by. */
    public static final class CoDropEpisode {
        public String id;
        public long step;
        /** By benchmark. */
        public HashMap<String, FallenBenchmark> fallen = new HashMap<>();
    }

    /**
     * One benchmark of a co-drop, represented by its trajectory whose fall was the (lower) median of the
     * benchmark's metrics: recovered once a later checkpoint is back within {@code evals.regression.resolve.z}
     * of the score expected at the drop.
     */
    public static final class FallenBenchmark {
        public String trajectoryKey;
        /** Oriented expected score at the co-drop's checkpoint, and the noise unit of the drop. */
        public double expected;
        public double unit;
        public boolean recovered;
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
        /**
         * The newest {@link #RESIDUALS_REMEMBERED} checkpoints against their expectation, whatever the sign (NaN z
         * while untestable or classed noisy): what the co-drop test reads across benchmarks.
         */
        public long[] residualSteps = new long[0];
        public double[] residualZ = new double[0];
        public double[] residualExpected = new double[0];
        public double[] residualUnit = new double[0];

        /** Remembers checkpoint {@code step}'s residual, replacing an earlier one of the same step. */
        void recordResidual(long step, double z, double expected, double unit) {
            int at = residualIndex(step);
            if (at < 0) {
                int keep = Math.min(residualSteps.length, RESIDUALS_REMEMBERED - 1);
                int from = residualSteps.length - keep;
                residualSteps = append(java.util.Arrays.copyOfRange(residualSteps, from, residualSteps.length), step);
                residualZ = append(java.util.Arrays.copyOfRange(residualZ, from, residualZ.length));
                residualExpected = append(java.util.Arrays.copyOfRange(residualExpected, from, residualExpected.length));
                residualUnit = append(java.util.Arrays.copyOfRange(residualUnit, from, residualUnit.length));
                at = keep;
            }
            residualZ[at] = z;
            residualExpected[at] = expected;
            residualUnit[at] = unit;
        }

        /** Index of {@code step} among the remembered residuals, or −1. */
        int residualIndex(long step) {
            for (int i = 0; i < residualSteps.length; i++) {
                if (residualSteps[i] == step) {
                    return i;
                }
            }
            return -1;
        }

        private static long[] append(long[] values, long value) {
            long[] longer = java.util.Arrays.copyOf(values, values.length + 1);
            longer[values.length] = value;
            return longer;
        }

        private static double[] append(double[] values) {
            return java.util.Arrays.copyOf(values, values.length + 1);
        }

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
