package io.runwatch.core.evals;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Thresholds that keep the false-alarm rate of a whole trajectory near α however many checkpoints it has:
 * a 200-checkpoint run gets 200 chances to see a 3σ wobble, so its single-checkpoint threshold is higher
 * than a 20-checkpoint run's (Bonferroni over the checkpoints tested so far).
 */
public final class Significance {
    private Significance() {
    }

    /** z a single checkpoint must exceed: one-sided tail α/(2m). */
    static double singleCheckpointZ(double alpha, long checkpoints) {
        return upperQuantile(alpha / (2.0 * Math.max(1, checkpoints)));
    }

    /**
     * The same for a heavy-tailed residual: Student-t with {@code dof} degrees of freedom, scaled so that its
     * robust sigma (1.4826 × MAD) is one noise unit, as the empirical noise is measured; Gaussian when dof ≤ 0.
     */
    static double singleCheckpointZ(double alpha, long checkpoints, double dof) {
        return upperQuantile(alpha / (2.0 * Math.max(1, checkpoints)), dof);
    }

    /**
     * Degrees of freedom of the Student-t the tail-aware model is fitted on, lightest tail first (0: Gaussian),
     * with the share of neighbour residuals beyond 3 robust sigmas each gives: the residual of a checkpoint from
     * the line through its two neighbours, |x − (x₋ + x₊)/2| / √1.5, of noise scaled to robust sigma 1 (Monte
     * Carlo, 4·10⁶ draws each; the residual mixes three draws, so its tail is lighter than one draw's).
     */
    static final double[] TAIL_DOFS = {0, 50, 30, 20, 15, 12, 10, 8, 7, 6, 5, 4, 3};
    static final double[] RESIDUAL_SHARE_BEYOND_3 = {0.00267, 0.00352, 0.00418, 0.00510, 0.00616, 0.00737,
        0.00871, 0.01094, 0.01282, 0.01561, 0.02007, 0.02772, 0.04353};

    /** The share of neighbour residuals beyond 3 robust sigmas that noise of {@code dof} gives (grid values). */
    static double residualShareBeyond3(double dof) {
        for (int i = 0; i < TAIL_DOFS.length; i++) {
            if (dof <= 0 ? TAIL_DOFS[i] == 0 : TAIL_DOFS[i] > 0 && TAIL_DOFS[i] <= dof) {
                return RESIDUAL_SHARE_BEYOND_3[i];
            }
        }
        return RESIDUAL_SHARE_BEYOND_3[RESIDUAL_SHARE_BEYOND_3.length - 1];
    }

    /**
     * The lightest-tailed grid dof whose residual share beyond 3 robust sigmas is at least {@code share}: the
     * thresholds err towards the heavier tail. Quantised to the grid so the threshold cache stays small.
     */
    public static double dofForShare(double share) {
        for (int i = 0; i < TAIL_DOFS.length; i++) {
            if (RESIDUAL_SHARE_BEYOND_3[i] >= share) {
                return TAIL_DOFS[i];
            }
        }
        return TAIL_DOFS[TAIL_DOFS.length - 1];
    }

    /**
     * The dof of a Student-t with the excess kurtosis of the mean of {@code count} draws of one with {@code dof}
     * (6/(ν−4) shrinks by 1/count): the mean of a few checkpoints has a lighter tail than one of them. Heavier
     * tails than ν = 4 have no kurtosis to match and keep their dof.
     */
    static double dofOfMean(double dof, double count) {
        return dof <= 4 || count <= 1 ? dof : 4 + count * (dof - 4);
    }

    private static final Map<Long, Double> T_QUANTILES = new ConcurrentHashMap<>();

    /** z with P(Z > z) = tail for the robust-sigma-scaled Student-t of {@code dof}; Gaussian when dof ≤ 0. */
    static double upperQuantile(double tail, double dof) {
        if (dof <= 0) {
            return upperQuantile(tail);
        }
        long key = Double.doubleToLongBits(tail) * 31 + Double.doubleToLongBits(dof);
        return T_QUANTILES.computeIfAbsent(key, k -> studentTQuantile(tail, dof) / (1.4826 * studentTQuantile(0.25, dof)));
    }

    /** t with P(T > t) = tail for Student's t of {@code dof}, by bisection on {@link #studentTTail}. */
    static double studentTQuantile(double tail, double dof) {
        double low = 0;
        double high = 1;
        while (studentTTail(high, dof) > tail) {
            high *= 2;
        }
        for (int i = 0; i < 100; i++) {
            double mid = (low + high) / 2;
            if (studentTTail(mid, dof) > tail) {
                low = mid;
            } else {
                high = mid;
            }
        }
        return (low + high) / 2;
    }

    /** P(T > t), t ≥ 0: half the regularised incomplete beta I_{ν/(ν+t²)}(ν/2, 1/2). */
    static double studentTTail(double t, double dof) {
        return 0.5 * regularizedBeta(dof / (dof + t * t), dof / 2, 0.5);
    }

    /** I_x(a, b) by Lentz's continued fraction (Numerical Recipes' betai). */
    private static double regularizedBeta(double x, double a, double b) {
        if (x <= 0) {
            return 0;
        }
        if (x >= 1) {
            return 1;
        }
        double front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
        if (x < (a + 1) / (a + b + 2)) {
            return front * betaFraction(x, a, b) / a;
        }
        return 1 - front * betaFraction(1 - x, b, a) / b;
    }

    private static double betaFraction(double x, double a, double b) {
        double tiny = 1e-300;
        double c = 1;
        double d = 1 - (a + b) * x / (a + 1);
        d = 1 / (Math.abs(d) < tiny ? tiny : d);
        double h = d;
        for (int m = 1; m <= 300; m++) {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 / (Math.abs(1 + aa * d) < tiny ? tiny : 1 + aa * d);
            c = Math.abs(1 + aa / c) < tiny ? tiny : 1 + aa / c;
            h *= d * c;
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 / (Math.abs(1 + aa * d) < tiny ? tiny : 1 + aa * d);
            c = Math.abs(1 + aa / c) < tiny ? tiny : 1 + aa / c;
            double delta = d * c;
            h *= delta;
            if (Math.abs(delta - 1) < 1e-12) {
                break;
            }
        }
        return h;
    }

    /** Lanczos approximation of ln Γ(x), x > 0. */
    private static double logGamma(double x) {
        double[] g = {76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155,
            0.1208650973866179e-2, -0.5395239384953e-5};
        double y = x;
        double tmp = x + 5.5;
        tmp -= (x + 0.5) * Math.log(tmp);
        double series = 1.000000000190015;
        for (double coefficient : g) {
            series += coefficient / ++y;
        }
        return -tmp + Math.log(2.5066282746310005 * series / x);
    }

    /** Correlations are rounded up to this grid, so thresholds can be cached and stay on the safe side. */
    private static final double CORRELATION_STEP = 0.05;
    /** Keyed by α, checkpoints and correlation grid: settings with another α (a sweep in one JVM) get their own. */
    private static final Map<List<Object>, Double> PAIR_THRESHOLDS = new ConcurrentHashMap<>();

    /**
     * z two consecutive checkpoints must both exceed so that their joint tail is α/(2m). The two z's are
     * correlated when they are measured against (nearly) the same expectation: its error moves both, so the
     * threshold is higher than the √(α/(2m)) quantile independent points would need.
     *
     * @param correlation correlation of the two z's under no drop: the expectation's share of their variance
     */
    static double confirmedPairZ(double alpha, long checkpoints, double correlation, double dof) {
        double gaussian = confirmedPairZ(alpha, checkpoints, correlation);
        // Each z mapped through its marginal: the Student-t value as far in the tail as the Gaussian one.
        return dof <= 0 ? gaussian : upperQuantile(normalTail(gaussian), dof);
    }

    static double confirmedPairZ(double alpha, long checkpoints, double correlation) {
        long m = Math.max(1, checkpoints);
        int grid = (int) Math.ceil(Math.min(0.95, Math.max(0, correlation)) / CORRELATION_STEP - 1e-9);
        double tail = alpha / (2.0 * m);
        return PAIR_THRESHOLDS.computeIfAbsent(List.of(alpha, m, grid), k -> jointQuantile(tail, grid * CORRELATION_STEP));
    }

    /** c with P(Z₁ > c, Z₂ > c) = tail for standard normals of correlation ρ, by bisection. */
    private static double jointQuantile(double tail, double rho) {
        double low = upperQuantile(Math.sqrt(tail));
        double high = upperQuantile(tail);
        for (int i = 0; i < 50; i++) {
            double mid = (low + high) / 2;
            if (jointTail(mid, rho) > tail) {
                low = mid;
            } else {
                high = mid;
            }
        }
        return high;
    }

    /** P(Z₁ > c, Z₂ > c): given the shared part u, the two are independent (Z = √ρ·u + √(1−ρ)·e). */
    private static double jointTail(double c, double rho) {
        double step = 0.01;
        double sum = 0;
        for (double u = -9; u <= 9; u += step) {
            double each = normalTail((c - Math.sqrt(rho) * u) / Math.sqrt(1 - rho));
            sum += Math.exp(-u * u / 2) * each * each;
        }
        return sum * step / Math.sqrt(2 * Math.PI);
    }

    /** P(Z > x) for a standard normal Z (Numerical Recipes' erfc, relative error below 1.2e-7). */
    static double normalTail(double x) {
        double z = Math.abs(x) / Math.sqrt(2);
        double t = 1 / (1 + 0.5 * z);
        double erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851973 + t * (-0.82215223
                + t * 0.17087277)))))))));
        return x >= 0 ? erfc / 2 : 1 - erfc / 2;
    }

    /** z with P(Z > z) = tail for a standard normal Z. */
    static double upperQuantile(double tail) {
        return -inverseNormalCdf(tail);
    }

    /** Acklam's rational approximation of the standard normal quantile (relative error below 1.2e-9). */
    static double inverseNormalCdf(double p) {
        if (p <= 0) {
            return Double.NEGATIVE_INFINITY;
        }
        if (p >= 1) {
            return Double.POSITIVE_INFINITY;
        }
        double[] a = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
            1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
        double[] b = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
            6.680131188771972e+01, -1.328068155288572e+01};
        double[] c = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
            -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
        double[] d = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
            3.754408661907416e+00};
        double low = 0.02425;
        if (p < low) {
            double q = Math.sqrt(-2 * Math.log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                    / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - low) {
            return -inverseNormalCdf(1 - p);
        }
        double q = p - 0.5;
        double r = q * q;
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
}
