package io.runwatch.core.guard;

/**
 * Settings of the {@link StepJumpGuard}.
 *
 * @param jumpFactor            a step more than this many recent logging intervals (plus the margin) ahead of the
 *                              run's newest step is a suspect
 * @param jumpMarginSteps       absolute slack added to the limit, for young runs and irregular logging
 * @param confirmRecords        records that decide a suspect: this many continuing from it confirm it, this many
 *                              at the old pace refuse it
 * @param reorderToleranceSteps a step this many logging intervals behind the newest is late, not a restart
 */
public record StepGuardSettings(double jumpFactor, long jumpMarginSteps, int confirmRecords,
                                long reorderToleranceSteps) {
}
