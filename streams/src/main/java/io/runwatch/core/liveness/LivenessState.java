package io.runwatch.core.liveness;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;

/**
 * What the liveness detectors remember about one run; plain fields, stored as JSON. Its size is fixed (a
 * histogram, a ring of recent throughput values, a ring of recent restart times), whatever the run's length.
 */
public final class LivenessState {
    public String run;
    /** Earliest record or start event time (epoch ms); -1 before the first. The goodput clock starts here. */
    public long firstSeenMs = -1;
    public boolean sawStart;
    public boolean ended;
    public long endedMs = -1;

    /** Step the run is at: the newest reported step, or the resume step right after a resumed start. */
    public long position = -1;
    /** Highest step ever reported: steps at or below it after a rewind are redone work. */
    public long highWaterStep = -1;
    /** Record time of the newest step record or start event: silence is measured from here. */
    public long lastAliveMs = -1;
    /** Record time of the newest record that advanced the step. */
    public long lastProgressMs = -1;
    /** Step delta between the last two step records (the trainer's logging interval). */
    public long stepsPerRecord = 1;
    /** Step records since the newest start (or unexplained rewind): the first ones are warm-up. */
    public long recordsSinceStart;
    /** The trainer's declared deadline for the next record, seconds; -1 when none was declared. */
    public double declaredNextS = -1;
    /** A checkpoint event arrived since the newest step record: the current pause is a save. */
    public boolean checkpointInInterval;
    /** A start event arrived and no step has been reported since. */
    public boolean firstStepPending;

    public Stall stall = new Stall();
    public Throughput throughput = new Throughput();
    public Restarts restarts = new Restarts();
    /** Milliseconds of wall time that made new progress (see {@link LivenessMonitor#goodputRatio}). */
    public double productiveMs;

    /** Learned record intervals, checkpoint cadence and the open stall episode. */
    public static final class Stall {
        public DecayingLogHistogram intervals = new DecayingLogHistogram();
        /** Longest ordinary interval recently seen (faded max), seconds. */
        public double longestIntervalS;
        public long lastCheckpointStep = -1;
        /** Steps between the two newest checkpoints; 0 until two were seen. */
        public long checkpointPeriodSteps;
        /** Typical extra time a checkpoint save adds to an interval (faded max), seconds; -1 until seen. */
        public double checkpointPauseS = -1;
        /** The current silence has already raised a stall (so its interval is not learned). */
        public boolean stalledThisInterval;
        public String openId;
        public long openOnsetStep = -1;
        public EpisodeKey key = new EpisodeKey();
    }

    /** Rolling throughput window, the run's baseline and the open drop episode. */
    public static final class Throughput {
        public static final int TOKENS_PER_S = 0;
        public static final int STEP_TIME = 1;
        public static final int RECORD_TIME = 2;

        /** Which signal the numbers below are in; -1 before the first. A change of source restarts learning. */
        public int source = -1;
        /** Ring of the newest speeds (higher is better: tokens/s or steps/s). */
        public double[] window = new double[0];
        public int windowCount;
        public int windowNext;
        /** Slowly-moving baseline of the windowed median; -1 until learned. */
        public double baseline = -1;
        /** Relative standard error of the windowed median while healthy (faded), for noisy runs. */
        public double medianNoise;
        /** First step of the current below-threshold (or, while firing, recovered) stretch; -1 if none. */
        public long stretchStartStep = -1;
        public String openId;
        public long openOnsetStep = -1;
        public double openBaseline;
        /** Newest windowed median; -1 before the window first filled. */
        public double lastMedian = -1;
        public EpisodeKey key = new EpisodeKey();
    }

    /** Restart bookkeeping for restart storms and lost steps. */
    public static final class Restarts {
        public long total;
        /** Ring of the newest restart times (epoch ms), as many as a storm needs. */
        public long[] recentMs = new long[0];
        public int recentCount;
        public int recentNext;
        public long lastRestartMs = -1;
        /** Step the run resumed from at its newest restart; -1 when unknown. */
        public long resumeStepAtLastRestart = -1;
        /** Newest checkpoint saved since the newest restart; -1 if none. */
        public long newestCheckpointSinceRestart = -1;
        public int withoutProgress;
        /** A start event announced the restart, so the next backwards step is not another one. */
        public boolean rewindExplained;
        public long lostSteps;
        public String openId;
        public long openOnsetStep = -1;
        public long lastStormFiredMs = -1;
        public EpisodeKey key = new EpisodeKey();
    }

    /**
     * Makes episode ids unique when a new episode of the same type starts at the same step as the previous one
     * (a run that hangs twice at one step); ids stay deterministic under replay.
     */
    public static final class EpisodeKey {
        public long lastOnsetStep = Long.MIN_VALUE;
        public int repeats;

        public String idFor(String run, AlertType type, long onsetStep) {
            String base = Alert.episodeId(run, type, null, onsetStep);
            if (onsetStep != lastOnsetStep) {
                lastOnsetStep = onsetStep;
                repeats = 0;
                return base;
            }
            repeats++;
            return base + "#" + repeats;
        }
    }
}
