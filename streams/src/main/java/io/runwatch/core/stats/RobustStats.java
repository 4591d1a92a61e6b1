package io.runwatch.core.stats;

import java.util.Arrays;

/**
 * The statistics the detectors share, written once: median, median absolute deviation, Theil–Sen slope and a
 * least-squares line, over the small windows (tens of points) a detector keeps. Pure and allocation-light; no
 * method changes its argument.
 *
 * <p>NaN policy: detectors pass finite numbers (non-finite inputs are caught before any statistic), so a NaN
 * here is a bug upstream. It is never hidden: any NaN among the inputs makes the result NaN (sorting would
 * otherwise put it last and return a plausible, wrong number). An empty input gives NaN. Infinities are ordered
 * as usual by the median; in a slope they give NaN.
 */
public final class RobustStats {
    /** MAD × this estimates the standard deviation of normal noise (1 / Φ⁻¹(3/4)). */
    public static final double MAD_TO_SIGMA = 1.4826;

    private RobustStats() {
    }

    /** Median of all values; the mean of the two middle ones for an even count. */
    public static double median(double[] values) {
        return median(values, values.length);
    }

    /** Median of the first {@code count} values. */
    public static double median(double[] values, int count) {
        double[] sorted = Arrays.copyOf(values, count);
        Arrays.sort(sorted);
        return medianOfSorted(sorted);
    }

    /** Median of values already sorted ascending (no copy, no sort). */
    public static double medianOfSorted(double[] sorted) {
        int n = sorted.length;
        if (n == 0 || hasNaN(sorted)) {
            return Double.NaN;
        }
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** Median of three without an array: a single extreme value cannot move it. */
    public static double medianOfThree(double a, double b, double c) {
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }

    /** Median absolute deviation of the values from {@code center} (unscaled; × {@link #MAD_TO_SIGMA} for σ). */
    public static double mad(double[] values, double center) {
        double[] deviations = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            deviations[i] = Math.abs(values[i] - center);
        }
        return median(deviations);
    }

    /** Theil–Sen slope of {@code y} at x = 0, 1, 2, ...: the median of all pairwise slopes; NaN below two points. */
    public static double theilSenSlope(double[] y) {
        double[] slopes = new double[y.length * (y.length - 1) / 2];
        int k = 0;
        for (int i = 0; i < y.length; i++) {
            for (int j = i + 1; j < y.length; j++) {
                slopes[k++] = (y[j] - y[i]) / (j - i);
            }
        }
        return median(slopes);
    }

    /** Theil–Sen slope of {@code y} over distinct, increasing {@code x}; NaN below two points. */
    public static double theilSenSlope(double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("x and y differ in length: " + x.length + " vs " + y.length);
        }
        double[] slopes = new double[y.length * (y.length - 1) / 2];
        int k = 0;
        for (int i = 0; i < y.length; i++) {
            for (int j = i + 1; j < y.length; j++) {
                slopes[k++] = (y[j] - y[i]) / (x[j] - x[i]);
            }
        }
        return median(slopes);
    }

    /**
     * A least-squares line through {@code y} at x = 0, 1, 2, ...
     *
     * @param slope      change of y per unit of x
     * @param intercept  the line's value at x = 0
     * @param slopeError standard error of the slope from the residuals (NaN below three points)
     */
    public record Line(double slope, double intercept, double slopeError) {
    }

    /** Ordinary least squares of {@code y} on x = 0, 1, 2, ...; NaN fields below two points. */
    public static Line leastSquares(double[] y) {
        int n = y.length;
        if (n < 2) {
            return new Line(Double.NaN, Double.NaN, Double.NaN);
        }
        double meanX = (n - 1) / 2.0;
        double meanY = 0;
        for (double v : y) {
            meanY += v / n;
        }
        double sxx = 0;
        double sxy = 0;
        for (int x = 0; x < n; x++) {
            sxx += (x - meanX) * (x - meanX);
            sxy += (x - meanX) * (y[x] - meanY);
        }
        double slope = sxy / sxx;
        double residuals = 0;
        for (int x = 0; x < n; x++) {
            double r = y[x] - meanY - slope * (x - meanX);
            residuals += r * r;
        }
        double slopeError = n > 2 ? Math.sqrt(residuals / (n - 2) / sxx) : Double.NaN;
        return new Line(slope, meanY - slope * meanX, slopeError);
    }

    private static boolean hasNaN(double[] values) {
        for (double v : values) {
            if (Double.isNaN(v)) {
                return true;
            }
        }
        return false;
    }
}
