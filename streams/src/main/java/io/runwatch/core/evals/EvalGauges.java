package io.runwatch.core.evals;

/**
 * Gauge values of one trajectory after an update, for the metrics layer to export.
 * Any double may be NaN when not yet defined; {@code kendallWindow} is the rolling window's size.
 */
public record EvalGauges(String run, String benchmark, String metric, double score, double noise,
                         double kendallTauAll, double kendallTauWindow, int kendallWindow,
                         double regressionZ) {
}
