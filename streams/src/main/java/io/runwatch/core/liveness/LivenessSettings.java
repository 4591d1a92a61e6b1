package io.runwatch.core.liveness;

/**
 * Knobs of the stall / slowdown / restart detectors. Built from {@code io.runwatch.config.Settings}, whose
 * liveness section documents each one.
 *
 * @param stallFloorS                  a learned stall deadline is never shorter than this
 * @param stallMultiplier              deadline = this × the high quantile of the run's record intervals
 * @param stallQuantile                which quantile of the record intervals the deadline scales
 * @param stallLongestPauseMultiplier  deadline ≥ this × the longest recent ordinary pause (undeclared evals)
 * @param warmupRecords                records after each start whose intervals/throughput are not learned
 * @param startupGraceS                deadline for the first step after a start (checkpoint load, compile)
 * @param checkpointGraceS             extra time allowed around a checkpoint save, at least
 * @param checkpointPauseMultiplier    extra time around a save grows to this × the run's learned save pause
 * @param declaredGraceS               added to a deadline the trainer declared (expect_next_within_s)
 * @param historyHalfLifeRecords       how fast old record intervals fade from the learned distribution
 * @param throughputDropFraction       throughput this much below the run's baseline counts as a drop
 * @param throughputHoldSteps          a drop (or a recovery) must hold this many steps
 * @param throughputWindowRecords      records in the rolling median compared with the baseline
 * @param throughputHalfLifeRecords    how fast the throughput baseline follows the run
 * @param stormRestarts                restarts within {@code stormWindowS} that make a restart storm
 * @param stormWindowS                 window of {@code stormRestarts}
 * @param stormRestartsWithoutProgress consecutive restarts without a newer checkpoint that make a storm
 * @param stormQuietS                  a storm resolves after this long without a restart, with progress
 * @param stormCooldownS               minimum time between two storm pages of one run
 * @param reorderToleranceSteps        a step this many logging intervals behind the newest is a late record, not a
 *                                     restart (the same tolerance the training detectors use)
 */
public record LivenessSettings(
        double stallFloorS,
        double stallMultiplier,
        double stallQuantile,
        double stallLongestPauseMultiplier,
        int warmupRecords,
        double startupGraceS,
        double checkpointGraceS,
        double checkpointPauseMultiplier,
        double declaredGraceS,
        int historyHalfLifeRecords,
        double throughputDropFraction,
        long throughputHoldSteps,
        int throughputWindowRecords,
        int throughputHalfLifeRecords,
        int stormRestarts,
        double stormWindowS,
        int stormRestartsWithoutProgress,
        double stormQuietS,
        double stormCooldownS,
        long reorderToleranceSteps) {

    /** The catalogue's defaults, for unit tests (the core cannot read config); pinned by CoreDefaultsTest. */
    public static LivenessSettings defaults() {
        return new LivenessSettings(120, 3, 0.99, 1.5, 3, 1_800, 900, 2, 30, 1_000,
                0.08, 100, 32, 500, 5, 1_800, 3, 1_800, 3_600, 5);
    }

    /** Same settings with a different stall floor: handy for tests. */
    public LivenessSettings withStallFloorS(double seconds) {
        return new LivenessSettings(seconds, stallMultiplier, stallQuantile, stallLongestPauseMultiplier,
                warmupRecords, startupGraceS, checkpointGraceS, checkpointPauseMultiplier, declaredGraceS,
                historyHalfLifeRecords, throughputDropFraction, throughputHoldSteps, throughputWindowRecords,
                throughputHalfLifeRecords, stormRestarts, stormWindowS, stormRestartsWithoutProgress, stormQuietS,
                stormCooldownS, reorderToleranceSteps);
    }
}
