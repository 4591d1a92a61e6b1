package io.runwatch.core.evals;

/**
 * What the evaluation detectors remember about one run (all its trajectories). Plain mutable fields so the
 * topology can store it as JSON in a changelogged store.
 */
public final class EvalRunState {
    /** Number of evaluation points seen (placeholder until the trajectory detectors land). */
    public long points;
}
