package io.runwatch.core.training;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;

/**
 * Everything the training-health detectors remember about one run. Plain mutable fields so the topology can
 * store it as JSON in a changelogged store; it stays a few KB whatever the length of the run (bounded rings,
 * EMAs, at most {@link #MAX_GROUPS} parameter groups).
 */
public final class TrainingState {
    static final int MAX_GROUPS = 16;
    static final int MAX_CHECKPOINTS = 16;
    static final int MAX_SNAPSHOTS_PER_KIND = 3;

    /** Highest step seen so far; -1 before the first record. */
    public long lastStep = -1;
    /** Last step whose loss and gradient norm were finite. */
    public long lastHealthyStep = -1;
    /** Last step that was neither part of a loss excursion nor of an episode: the fallback rollback target. */
    public long lastCalmStep = -1;
    /** Latest checkpoint step known from checkpoint events; -1 when none. */
    public long lastCheckpointStep = -1;
    /** Recent checkpoint steps, ascending, bounded: the rollback target must precede the episode's onset. */
    public ArrayList<Long> recentCheckpoints = new ArrayList<>();
    /** Steps between consecutive records (the logging interval), for the reorder tolerance. */
    public long stepInterval = 1;
    /** Adam's epsilon from the run's start event; 0 when unknown. */
    public double adamEps;

    /** Id of the open non-finite episode, or null. */
    public String openNonFiniteId;
    /** Onset step of the open non-finite episode. */
    public long nonFiniteOnsetStep = -1;

    /** The statistics a rewind restores. */
    public Baseline baseline = new Baseline();
    public ArrayList<Baseline> periodicSnapshots = new ArrayList<>();
    public ArrayList<Baseline> checkpointSnapshots = new ArrayList<>();
    /** Baseline logged steps when the last periodic snapshot was taken. */
    public long loggedStepsAtLastSnapshot;

    /** A loss excursion not yet confirmed as a spike; null when none. */
    public LossExcursion lossExcursion;
    /**
     * The cumulative test of a slow rise (LossSpikeDetector#trackRise): the residuals summed against the baseline
     * frozen where they turned positive, so a rise of under one sigma per logged step is not absorbed by the
     * baseline's trend before it stands the minimum rise over it; null while the residuals sum to nothing.
     */
    public LossExcursion lossRise;
    /**
     * {@code baseline.loggedSteps} from which a cumulative rise test may start: Holt's level and trend overshoot
     * for a few dozen logged steps after the loss drops (an LR decay), after an episode and after a rewind, and
     * a slow rise measured against an overshooting baseline is no rise.
     */
    public long riseTestFrom;
    /** The open loss spike or divergence episode; null when none. */
    public LossEpisode lossEpisode;
    /** The open gradient-norm excursion; null when none. */
    public GradExcursion gradExcursion;
    /** Open adam_precursor episodes by group. */
    public HashMap<String, PrecursorEpisode> precursors = new HashMap<>();

    /** One-step loss outliers (bad batches) counted so far: runwatch_loss_spikes_total{run}. */
    public long lossOutliers;
    /** EMA over ~1000 logged steps of "this step was a one-step outlier". */
    public double outlierRateEma;
    /** Logged steps that fed the outlier rate. */
    public long outlierRateSamples;
    /** Id of the open spike-rate ticket, or null. */
    public String openSpikeRateId;
    public long spikeRateOnsetStep = -1;

    // ---- mixed precision and runs that stopped learning (NotTrainingDetector) ----
    /** Declared precision from the start event (fp16, bf16, fp32, fp8); null while unknown. */
    public String precision;
    /** Whether any record carried a loss scale: evidence of dynamic loss scaling. */
    public boolean sawLossScale;
    /** The newest loss scale logged; NaN while none. */
    public double lastLossScale = Double.NaN;
    /** First step seen (the loss-scale warm-up is measured from it); -1 before the first record. */
    public long firstStep = -1;
    /** Skipped optimizer steps counted so far: runwatch_run_skipped_steps_total{run}. */
    public long skippedStepsTotal;
    /**
     * Recent optimizer steps in buckets, oldest first, at most {@link NotTrainingDetector#MAX_BUCKETS}: the skip
     * window and the loss across it. Parallel arrays (index i is one bucket) keep the stored state small.
     */
    public long[] bucketFirstStep = new long[0];
    /** Optimizer steps and skipped steps the bucket covers, and its records. */
    public double[] bucketSteps = new double[0];
    public double[] bucketSkipped = new double[0];
    public int[] bucketRecords = new int[0];
    /** Sum and count of the log-losses logged in the bucket. */
    public double[] bucketSumLogLoss = new double[0];
    public int[] bucketLosses = new int[0];
    /** Highest loss scale logged in the bucket; 0 if none. */
    public double[] bucketMaxLossScale = new double[0];
    /** The loss baseline's forecast (log) at the bucket's first skipped step; NaN if none or no baseline yet. */
    public double[] bucketBaselineLogLoss = new double[0];

    int buckets() {
        return bucketFirstStep.length;
    }

    /** Appends an empty bucket, dropping the oldest beyond {@code max}. */
    void addBucket(long firstStep, double baselineLogLoss, int max) {
        int keep = Math.min(buckets(), max - 1);
        int from = buckets() - keep;
        bucketFirstStep = grow(bucketFirstStep, from, keep);
        bucketSteps = grow(bucketSteps, from, keep);
        bucketSkipped = grow(bucketSkipped, from, keep);
        bucketRecords = grow(bucketRecords, from, keep);
        bucketSumLogLoss = grow(bucketSumLogLoss, from, keep);
        bucketLosses = grow(bucketLosses, from, keep);
        bucketMaxLossScale = grow(bucketMaxLossScale, from, keep);
        bucketBaselineLogLoss = grow(bucketBaselineLogLoss, from, keep);
        bucketFirstStep[keep] = firstStep;
        bucketBaselineLogLoss[keep] = baselineLogLoss;
    }

    /** Keeps the buckets that began at or before {@code step} (a rewind). */
    void dropBucketsAfter(long step) {
        int keep = 0;
        while (keep < buckets() && bucketFirstStep[keep] <= step) {
            keep++;
        }
        bucketFirstStep = java.util.Arrays.copyOf(bucketFirstStep, keep);
        bucketSteps = java.util.Arrays.copyOf(bucketSteps, keep);
        bucketSkipped = java.util.Arrays.copyOf(bucketSkipped, keep);
        bucketRecords = java.util.Arrays.copyOf(bucketRecords, keep);
        bucketSumLogLoss = java.util.Arrays.copyOf(bucketSumLogLoss, keep);
        bucketLosses = java.util.Arrays.copyOf(bucketLosses, keep);
        bucketMaxLossScale = java.util.Arrays.copyOf(bucketMaxLossScale, keep);
        bucketBaselineLogLoss = java.util.Arrays.copyOf(bucketBaselineLogLoss, keep);
    }

    private static long[] grow(long[] a, int from, int keep) {
        long[] b = new long[keep + 1];
        System.arraycopy(a, from, b, 0, keep);
        return b;
    }

    private static double[] grow(double[] a, int from, int keep) {
        double[] b = new double[keep + 1];
        System.arraycopy(a, from, b, 0, keep);
        return b;
    }

    private static int[] grow(int[] a, int from, int keep) {
        int[] b = new int[keep + 1];
        System.arraycopy(a, from, b, 0, keep);
        return b;
    }

    /** Share of skipped optimizer steps over the newest window: runwatch_run_skipped_step_fraction{run}. */
    public double skipFraction;
    /** Id and onset of the open info notice of a transient skip, or null. */
    public String openSkipNoticeId;
    public long skipNoticeOnsetStep = -1;
    /** Fall of the log-loss across the skipping stretch when last judged, and the fall that counts as learning. */
    public double lossFallAcrossSkipping = Double.NaN;
    public double lossFallNeeded = Double.NaN;
    /** The open not_training episode, or null. */
    public NotTrainingEpisode notTraining;
    /** The run's first finite positive loss: where it started, for the blow-up check; 0 while unknown. */
    public double startLoss;
    public String openBlowupId;
    public long blowupOnsetStep = -1;
    /** The loss value repeated by the newest records, how many records in a row, and from which step. */
    public double repeatedLoss = Double.NaN;
    public long repeatCount;
    public long repeatOnsetStep = -1;
    /** The run's noise (absolute, in loss units) when the repeat began: a frozen loss must not shrink it. */
    public double repeatNoise;
    /** Finest printed precision of the loss seen (a unit of its last printed digit); NaN while unknown. */
    public double lossQuantum = Double.NaN;
    /** Records in a row whose loss is below the collapse floor, and from which step. */
    public long collapsedCount;
    public long collapsedOnsetStep = -1;

    /** A run that is not training: skipping, a collapsed scale, a frozen or collapsed loss. */
    public static final class NotTrainingEpisode {
        public String id;
        public String cause;
        public String severity;
        public long onsetStep;
        public Long rollbackToStep;
        /** Mean log-loss and its count over the first half of the skipping stretch when it opened (NaN: none). */
        public double referenceLogLoss = Double.NaN;
        public int referenceLosses;
    }

    /**
     * Where to roll back to for an episode that began at {@code onsetStep}: the last checkpoint saved before it,
     * else the last healthy step before it (null when there is none). Checkpoints saved during the episode never
     * count: they may hold the damage.
     */
    public Long rollbackTarget(long onsetStep, long lastHealthyBeforeOnset) {
        for (int i = recentCheckpoints.size() - 1; i >= 0; i--) {
            if (recentCheckpoints.get(i) < onsetStep) {
                return recentCheckpoints.get(i);
            }
        }
        return lastHealthyBeforeOnset >= 0 ? lastHealthyBeforeOnset : null;
    }

    /** One-step loss outliers per 1000 logged steps, recent: runwatch_run_loss_spike_rate{run}. */
    public double spikeRatePer1000() {
        return outlierRateEma * 1000.0;
    }

    /** The compact statistics of a run as of {@link #atStep}; snapshots of it are restored on rewinds. */
    public static final class Baseline {
        public long atStep = -1;
        /** Records whose loss fed the statistics (counts towards warm-up). */
        public long loggedSteps;
        public RobustLevel loss = new RobustLevel();
        /** Lowest smoothed log-loss since warm-up, and the first step after it (onset of a slow rise). */
        public double bestLossLevel = Double.NaN;
        /** Slow EMA of the loss level: what the slow-divergence check compares with the best. */
        public double slowLossLevel;
        public long firstStepAfterBest = -1;
        public RobustLevel gradNorm = new RobustLevel();
        public HashMap<String, GroupBaseline> groups = new HashMap<>();

        public Baseline copy() {
            Baseline c = new Baseline();
            c.atStep = atStep;
            c.loggedSteps = loggedSteps;
            c.loss = loss.copy();
            c.bestLossLevel = bestLossLevel;
            c.slowLossLevel = slowLossLevel;
            c.firstStepAfterBest = firstStepAfterBest;
            c.gradNorm = gradNorm.copy();
            for (Map.Entry<String, GroupBaseline> e : groups.entrySet()) {
                c.groups.put(e.getKey(), e.getValue().copy());
            }
            return c;
        }
    }

    /** Per parameter group: fast and slow log gradient norm and smoothed update RMS over LR. */
    public static final class GroupBaseline {
        public long samples;
        public double fastLogGradNorm;
        /** The group's usual level; not pulled down while the fast level has collapsed below it. */
        public double usualLogGradNorm;
        public long gradSamples;
        public double updateRmsOverLr;
        public long rmsSamples;

        public GroupBaseline copy() {
            GroupBaseline c = new GroupBaseline();
            c.samples = samples;
            c.fastLogGradNorm = fastLogGradNorm;
            c.usualLogGradNorm = usualLogGradNorm;
            c.gradSamples = gradSamples;
            c.updateRmsOverLr = updateRmsOverLr;
            c.rmsSamples = rmsSamples;
            return c;
        }
    }

    /** Consecutive points above the spike entry threshold, measured against the baseline at its onset. */
    public static final class LossExcursion {
        public long onsetStep;
        public long lastCalmStepBefore;
        /** Forecast at onset: what the excursion is measured against. */
        public double baseLevel;
        /** Level and trend at onset, restored when the excursion turns out to be a spike. */
        public double baseLevelBefore;
        public double baseTrend;
        public double baseMeanAbsDeviation;
        public double baseSigma;
        public int points;
        public double peakZ;
        public double peakExcess;
        public double previousZ;
        public double previousExcess;
        public double lastZ;
        public double lastExcess;
        /** The cumulative rise test only: sum of (z - reference) since its onset, increments clipped. */
        public double cumulativeZ;
        /** The cumulative rise test only: the slow level at its onset, restored when it opens a spike. */
        public double baseSlowLevel;
        /** The cumulative rise test only: the slope per logged step the frozen baseline is extrapolated with. */
        public double baseSlope;
        /** The cumulative rise test only: the step the excess last turned positive (the rise's onset), -1 if not. */
        public long riseOnsetStep = -1;
        /** The cumulative rise test only: its newest excesses, a ring indexed by {@link #points}. */
        public double[] recentExcess;
    }

    /** A confirmed loss spike, possibly escalated to divergence; the baseline stays frozen while it is open. */
    public static final class LossEpisode {
        public String spikeId;
        public String divergenceId;
        public long onsetStep;
        public Long rollbackToStep;
        public double baseLevel;
        public double baseSigma;
        /** Pre-spike slope of the log-loss per logged step, and the drop it implies by now. */
        public double baseTrend;
        public double expectedDrop;
        /** The same slope per optimizer step, extrapolated decaying as a power of the step (see LossSpikeDetector#expectedDrop). */
        public double baseTrendPerStep;
        /** Logged steps from the onset to the confirming record. */
        public long confirmDelay;
        /** Logged steps since confirmation. */
        public long loggedSinceConfirm;
        /** EMA of the log-excess over the base level, and its peak. */
        public double smoothedExcess;
        public double peakSmoothedExcess;
        /**
         * Means of the raw excess since the smoothed excess last peaked, in blocks of {@link #blockLength} logged
         * steps, oldest first; when {@link LossSpikeDetector#PROGRESS_BLOCKS_MAX} are full, neighbours merge and
         * blocks double. Progress back is measured on the newest of them: a window that grows with the time
         * since the peak, in constant memory.
         */
        public double[] blockMeans = new double[0];
        public int blockLength = 1;
        public double blockSum;
        public int blockFill;
        /** Logged steps since the smoothed excess last peaked. */
        public long loggedSincePeak;
        /**
         * Highest speed of progress back since the peak (fall per logged step over the distance left, lower
         * confidence bound): a recovery that slows far below it has stopped.
         */
        public double maxSpeedLower;
        /**
         * {@link #loggedSinceConfirm} at which progress back was first judged stopped, in the current unbroken run
         * of such verdicts; -1 while it is not. It pages once the verdict has held over fresh data.
         */
        public long stalledSince = -1;
        /**
         * Raw log-excess of the last logged steps (a ring indexed by loggedSinceConfirm): steady rises and
         * progress back are measured on it.
         */
        public double[] recentExcess = new double[LossSpikeDetector.EXCESS_HISTORY];
        /** Highest median of three consecutive raw excesses, from the two confirming points on. */
        public double robustPeakExcess;
        public int calmPoints;
        public double peakLoss;
        /** Whether this episode began as a slow drift rather than a spike. */
        public boolean slowDrift;

        boolean divergent() {
            return divergenceId != null;
        }

        /** The raw excess {@code ago} logged steps before the newest (0: the newest). */
        double excessAgo(int ago) {
            return recentExcess[(int) Math.floorMod(loggedSinceConfirm - ago, (long) recentExcess.length)];
        }

        void recordExcess(double excess) {
            recentExcess[(int) (loggedSinceConfirm % recentExcess.length)] = excess;
        }

        /** At confirmation: the two confirming points become the newest two of the ring. */
        void recordConfirmingExcess(double previous, double last) {
            recentExcess[recentExcess.length - 1] = previous;
            recentExcess[0] = last;
        }
    }

    /** A gradient-norm jump in progress. */
    public static final class GradExcursion {
        public long onsetStep;
        public double baseLevel;
        public double baseSigma;
        public int points;
        public double peakRatio;
        /** Id of the ticket once raised; null while it may still end as info. */
        public String ticketId;
        public Long rollbackToStep;
    }

    /** An open Adam-instability warning for one parameter group. */
    public static final class PrecursorEpisode {
        public String id;
        public long onsetStep;
    }
}
