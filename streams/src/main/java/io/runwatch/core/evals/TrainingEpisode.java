package io.runwatch.core.evals;

/**
 * A training-health episode of the run (a loss spike, or the divergence it became) as the alert lifecycle
 * admitted it: what a co-drop of the benchmarks at a checkpoint is traced back to.
 *
 * @param id        the episode id the on-call saw on {@code runwatch.alerts}
 * @param type      {@code loss_spike} or {@code divergence}
 * @param onsetStep the step where the episode began
 * @param endStep   the step whose record resolved it, or null while it is open
 */
public record TrainingEpisode(String id, String type, long onsetStep, Long endStep) {

    /** Whether the episode overlaps the training between two checkpoints: steps (afterStep, atStep]. */
    public boolean overlaps(long afterStep, long atStep) {
        return onsetStep <= atStep && (endStep == null || endStep > afterStep);
    }
}
