package io.runwatch.core.liveness;

/**
 * A streaming quantile of the recent past: counts over log-spaced bins (1 ms to about 30 h, 25 % wide) in which
 * every new observation first fades all older ones by a constant factor. O(bins) per update, a fixed size
 * whatever the run's length. Plain fields: it is part of {@link LivenessState}.
 */
public final class DecayingLogHistogram {
    static final double MIN_VALUE = 1e-3;
    static final double BIN_RATIO = 1.25;
    static final int BINS = 84;
    /** Below this a faded weight is dropped, which keeps the arithmetic out of subnormal numbers. */
    private static final double NEGLIGIBLE = 1e-9;

    public double[] weights = new double[BINS];
    public double total;
    public long count;

    /** Adds {@code value} after fading every earlier observation by {@code decay} (in (0, 1]). */
    public void add(double value, double decay) {
        total = 0;
        for (int i = 0; i < BINS; i++) {
            double faded = weights[i] * decay;
            weights[i] = faded < NEGLIGIBLE ? 0 : faded;
            total += weights[i];
        }
        weights[bin(value)] += 1;
        total += 1;
        count++;
    }

    public boolean isEmpty() {
        return count == 0;
    }

    /** The q-quantile, interpolated geometrically inside its bin; NaN when empty. */
    public double quantile(double q) {
        if (total <= 0) {
            return Double.NaN;
        }
        double target = q * total;
        double cumulative = 0;
        for (int i = 0; i < BINS; i++) {
            if (weights[i] > 0 && cumulative + weights[i] >= target) {
                double within = (target - cumulative) / weights[i];
                return MIN_VALUE * Math.pow(BIN_RATIO, i + within);
            }
            cumulative += weights[i];
        }
        return MIN_VALUE * Math.pow(BIN_RATIO, BINS);
    }

    static int bin(double value) {
        if (!(value > MIN_VALUE)) {
            return 0;
        }
        int index = (int) Math.floor(Math.log(value / MIN_VALUE) / Math.log(BIN_RATIO));
        return Math.min(index, BINS - 1);
    }

    /** Per-observation fade factor that halves an observation's weight after {@code halfLife} newer ones. */
    static double decayForHalfLife(double halfLife) {
        return Math.pow(0.5, 1.0 / Math.max(1, halfLife));
    }
}
