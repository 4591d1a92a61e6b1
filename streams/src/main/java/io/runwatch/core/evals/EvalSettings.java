package io.runwatch.core.evals;

/** Knobs of the checkpoint-evaluation detectors. Built from {@code io.runwatch.config.Settings}. */
public record EvalSettings(int kendallWindow) {

    public static EvalSettings defaults() {
        return new EvalSettings(10);
    }
}
