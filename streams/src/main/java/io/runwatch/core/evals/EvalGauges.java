package io.runwatch.core.evals;

/**
 * Gauge values of one trajectory after an update, for the metrics layer to export. Any double may be NaN
 * when not yet defined; {@code kendallWindow} is the rolling window's size.
 *
 * @param score          newest checkpoint's score as reported (mean over seeds)
 * @param noise          noise unit of one checkpoint: the largest of the three sources below, in oriented
 *                       score units (log-perplexity for perplexities, else the metric's own units)
 * @param kendallTauAll  Kendall's tau between step and score over the whole trajectory, oriented so that
 *                       +1 means steadily improving for every metric (also losses and perplexities)
 * @param regressionZ    how far the newest checkpoint sits below the recent best level, in noise units
 *                       (negative when above it)
 * @param noisy          true while the trajectory is classed as indistinguishable from noise or as flaky
 */
public record EvalGauges(String run, String benchmark, String metric, double score, double noise,
                         double kendallTauAll, double kendallTauWindow, int kendallWindow,
                         double regressionZ, double noiseBinomial, double noiseSeed, double noiseEmpirical,
                         boolean noisy) {
}
