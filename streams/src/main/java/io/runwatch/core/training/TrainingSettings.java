package io.runwatch.core.training;

/**
 * Knobs of the training-health detectors. Built from {@code io.runwatch.config.Settings}; defaults there.
 *
 * @param warmupSteps logged steps before any statistical alert (non-finite values always page)
 */
public record TrainingSettings(long warmupSteps) {

    public static TrainingSettings defaults() {
        return new TrainingSettings(50);
    }
}
