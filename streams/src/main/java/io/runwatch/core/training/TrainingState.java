package io.runwatch.core.training;

/**
 * Everything the training-health detectors remember about one run. Plain mutable fields so the topology can
 * store it as JSON in a changelogged store; must stay a few KB whatever the length of the run.
 */
public final class TrainingState {
    /** Highest step seen so far; -1 before the first record. */
    public long lastStep = -1;
    /** Last step whose loss and gradient norm were finite. */
    public long lastHealthyStep = -1;
    /** Latest checkpoint step known from checkpoint events; -1 when none. */
    public long lastCheckpointStep = -1;
    /** Id of the open non-finite episode, or null. */
    public String openNonFiniteId;
    /** Onset step of the open non-finite episode. */
    public long nonFiniteOnsetStep = -1;
}
