package io.runwatch.core.evals;

/**
 * How much one checkpoint's (oriented) score of a trajectory moves for reasons other than the model,
 * in score units. The detector uses the largest of the three sources.
 *
 * @param binomial  sampling error of a finite test set: the reported stderr, else √(p(1−p)/n), divided by
 *                  √(seeds averaged at the checkpoint tested); 0 when neither is known (losses, bits per byte)
 * @param seed      spread of the score across training seeds, divided by √(seeds averaged at the
 *                  checkpoint tested): the error of the seed mean; 0 for single-seed runs
 * @param empirical robust spread of the recent checkpoints around their local linear trend; NaN when
 *                  there are too few checkpoints yet
 * @param empiricalCounts whether the empirical spread is part of the unit: when the sampling model gives
 *                  no noise, or when the spread is significantly above it (see
 *                  {@code TrajectoryAnalysis#noise}); a spread from a few residuals reads high by chance
 *                  often enough that counting it always would lose real drops
 * @param floor     the smallest change worth a ticket: a set fraction of the score (of a loss, of a bits
 *                  per byte); smooth continuous metrics would otherwise alert on sub-percent wiggles
 */
public record NoiseEstimate(double binomial, double seed, double empirical, double floor,
                            boolean empiricalCounts) {

    /** The noise unit: the largest source that counts, never exactly zero. */
    public double total() {
        double largest = Math.max(Math.max(binomial, seed), floor);
        if (empiricalCounts) {
            largest = Math.max(largest, empirical);
        }
        return Math.max(largest, 1e-9);
    }

    /** False when no source could be estimated (no n, no stderr and too few checkpoints). */
    public boolean isKnown() {
        return binomial > 0 || seed > 0 || !Double.isNaN(empirical);
    }
}
