package io.runwatch.core.training;

/**
 * A streaming robust baseline of one signal (in log space): an EMA of the level and an EMA of the absolute
 * deviation from it. Updates can be clipped so that an outlier moves the baseline by at most a few sigmas,
 * the way ZClip keeps a spike from inflating its own baseline. O(1) per sample, three numbers of state.
 */
public final class RobustLevel {
    /** Mean absolute deviation → standard deviation, for Gaussian noise. */
    private static final double MAD_TO_SIGMA = 1.2533;
    /** Sigma never goes below this (log space: 0.01%), so a constant signal does not divide by zero. */
    private static final double SIGMA_FLOOR = 1e-4;
    /** Clipping only starts once the scale itself means something. */
    private static final long UNCLIPPED_SAMPLES = 10;

    public double level;
    public double meanAbsDeviation;
    public long samples;

    public RobustLevel() {
    }

    public RobustLevel copy() {
        RobustLevel c = new RobustLevel();
        c.level = level;
        c.meanAbsDeviation = meanAbsDeviation;
        c.samples = samples;
        return c;
    }

    public double sigma() {
        return Math.max(meanAbsDeviation * MAD_TO_SIGMA, SIGMA_FLOOR);
    }

    public double z(double value) {
        return (value - level) / sigma();
    }

    /**
     * Feeds one value. The first samples are averaged plainly (an EMA started at its first value is biased);
     * afterwards the deviation fed in is clipped at {@code clipSigmas} sigmas.
     */
    public void update(double value, double levelAlpha, double scaleAlpha, double clipSigmas) {
        if (samples == 0) {
            level = value;
            samples = 1;
            return;
        }
        double deviation = value - level;
        if (samples >= UNCLIPPED_SAMPLES) {
            double bound = clipSigmas * sigma();
            deviation = Math.max(-bound, Math.min(bound, deviation));
        }
        samples++;
        level += Math.max(levelAlpha, 1.0 / samples) * deviation;
        meanAbsDeviation += Math.max(scaleAlpha, 1.0 / samples) * (Math.abs(deviation) - meanAbsDeviation);
    }
}
