package io.runwatch.core.training;

/**
 * A streaming robust baseline of one signal (in log space): Holt's level and trend (so a loss that is still
 * falling fast is not judged against where it was ten steps ago) and an EMA of the absolute one-step forecast
 * error as its noise. Updates are clipped so that an outlier moves the baseline by at most a few sigmas, the
 * way ZClip keeps a spike from inflating its own baseline. O(1) per sample, four numbers of state.
 */
public final class RobustLevel {
    /** Mean absolute deviation → standard deviation, for Gaussian noise. */
    private static final double MAD_TO_SIGMA = 1.2533;
    /** Sigma never goes below this (log space: 0.01%), so a constant signal does not divide by zero. */
    private static final double SIGMA_FLOOR = 1e-4;
    /** Clipping only starts once the scale itself means something. */
    private static final long UNCLIPPED_SAMPLES = 10;

    public double level;
    /** Change of the level per logged step. */
    public double trend;
    public double meanAbsDeviation;
    public long samples;

    public RobustLevel() {
    }

    public RobustLevel copy() {
        RobustLevel c = new RobustLevel();
        c.level = level;
        c.trend = trend;
        c.meanAbsDeviation = meanAbsDeviation;
        c.samples = samples;
        return c;
    }

    /** Where the next value is expected. */
    public double forecast() {
        return level + trend;
    }

    public double sigma() {
        return Math.max(meanAbsDeviation * MAD_TO_SIGMA, SIGMA_FLOOR);
    }

    public double z(double value) {
        return (value - forecast()) / sigma();
    }

    /**
     * Feeds one value. The first samples are averaged plainly (an EMA started at its first value is biased);
     * afterwards the forecast error fed in is clipped at {@code clipSigmas} sigmas.
     *
     * @param trendAlpha share of each forecast error that goes into the trend; 0 keeps a flat level
     */
    public void update(double value, double levelAlpha, double trendAlpha, double scaleAlpha, double clipSigmas) {
        if (samples == 0) {
            level = value;
            samples = 1;
            return;
        }
        double error = value - forecast();
        if (samples >= UNCLIPPED_SAMPLES) {
            double bound = clipSigmas * sigma();
            error = Math.max(-bound, Math.min(bound, error));
        }
        samples++;
        double alpha = Math.max(levelAlpha, 1.0 / samples);
        level = forecast() + alpha * error;
        trend += alpha * trendAlpha * error;
        meanAbsDeviation += Math.max(scaleAlpha, 1.0 / samples) * (Math.abs(error) - meanAbsDeviation);
    }

    /** Forgets the trend, e.g. once an episode is over and the old slope no longer applies. */
    public void flatten() {
        trend = 0;
    }
}
