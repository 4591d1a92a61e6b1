package io.runwatch.evaluate;

import io.runwatch.core.EvalPoint;
import io.runwatch.core.evals.BenchmarkCatalog;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Labels drops in a whole recorded eval trajectory with hindsight, with a noise model the detector does not
 * use, so that the real-table score can show the detector's own blind spots (README, "Checkpoint evaluations",
 * independent labels). Two noise models, one labelling rule:
 * <ul>
 *   <li><b>binomial</b>: each checkpoint's sampling error √(p(1−p)/n) from the benchmark's item count {@code n}
 *       (the harness {@code stderr} where a table gives no {@code n}); not defined for perplexities, losses and
 *       bits per byte, which are means of per-item values whose spread the tables do not give: not labelled;</li>
 *   <li><b>held-out</b>: the trajectory's own spread, fitted on the other half of its checkpoints (a checkpoint
 *       of even index is judged with the spread of the odd ones and vice versa), so that a drop never widens
 *       the noise it is judged by.</li>
 * </ul>
 * The rule (oriented scores, higher is better): checkpoint {@code i} is a drop when it lies ≥
 * {@link #DROP_SIGMAS} below the mean of the {@link #LEVEL_CHECKPOINTS} checkpoints before it (σ of the
 * difference from both sides' errors), that level lies ≥ {@link #ABOVE_CHANCE_SIGMAS} above the benchmark's
 * no-skill ceiling, and it is confirmed: the next checkpoint is still ≥ {@link #CONFIRM_SIGMAS} below the level
 * ({@link Kind#PERSISTENT}, lasting until a checkpoint is back within that) or the drop alone is ≥
 * {@link #ALONE_SIGMAS} ({@link Kind#SINGLE}). A slow {@link Kind#DECLINE}: the mean of
 * {@link #DECLINE_WINDOW} checkpoints lies ≥ {@link #DROP_SIGMAS} below the best earlier such mean, and the
 * next (up to) {@link #DECLINE_WINDOW} checkpoints' mean is still ≥ {@link #CONFIRM_SIGMAS} below it.
 */
public final class IndependentLabeller {
    /** A drop between consecutive checkpoints is labelled at this many σ of the difference. */
    static final double DROP_SIGMAS = 4;
    /** The next checkpoint confirms a drop while it stays this far below the level before. */
    static final double CONFIRM_SIGMAS = 2;
    /** A drop this large stands alone: ~10⁻⁹ per checkpoint under the noise model. */
    static final double ALONE_SIGMAS = 6;
    /** The level a drop is measured from: the mean of this many checkpoints before it. */
    static final int LEVEL_CHECKPOINTS = 3;
    /** A benchmark at or near its no-skill score has nothing to lose. */
    static final double ABOVE_CHANCE_SIGMAS = 2;
    /** Window of the slow-decline rule. */
    static final int DECLINE_WINDOW = 5;
    /**
     * A half must give at least this many residuals to fit the held-out spread (≥ 20 checkpoints): the MAD of
     * fewer is off by half or more (Pythia's 15-checkpoint 5-shot runs labelled 12-σ drops that 545 items
     * put under 4 binomial σ).
     */
    static final int MIN_HELD_OUT_RESIDUALS = 8;
    /** Consistency factor of the MAD and √1.5 of a second difference's error. */
    private static final double MAD_TO_SIGMA = 1.4826 / Math.sqrt(1.5);

    /** How a labelled drop was confirmed. */
    public enum Kind { SINGLE, PERSISTENT, DECLINE }

    /** Which noise model labelled it. */
    public enum NoiseModel { BINOMIAL, HELD_OUT }

    /**
     * A labelled drop: checkpoints {@code from}..{@code to} (indexes into the trajectory) are below the level of
     * the checkpoints before; {@code sigmas} is the drop at {@code from} (the window's mean for a decline) in σ.
     */
    public record Label(Kind kind, int from, int to, long fromStep, long toStep, double sigmas) {
        boolean overlaps(Label other) {
            return from <= other.to && other.from <= to;
        }
    }

    /**
     * One trajectory (run, benchmark, metric) in step order, seeds of one step averaged: the oriented score
     * (losses and bits per byte negated, perplexity as −log) and each checkpoint's binomial error (NaN where the
     * table gives neither {@code n} nor {@code stderr}, or for a perplexity or loss).
     */
    public record Trajectory(String run, String benchmark, String metric, long[] steps, double[] scores,
                             double[] binomialSigmas, double noSkillCeiling) {
        String key() {
            return benchmark + ":" + metric;
        }

        int size() {
            return steps.length;
        }

        boolean hasBinomialError() {
            return Arrays.stream(binomialSigmas).allMatch(s -> Double.isFinite(s) && s > 0);
        }

        /** The checkpoint whose step is the largest ≤ {@code step} (0 when before the first). */
        int indexOf(long step) {
            int i = Arrays.binarySearch(steps, step);
            return i >= 0 ? i : Math.max(0, -i - 2);
        }
    }

    private IndependentLabeller() {
    }

    /** Every trajectory of {@code points}, keyed "run/benchmark:metric", in key order. */
    public static Map<String, Trajectory> trajectories(List<EvalPoint> points) {
        Map<String, TreeMap<Long, List<EvalPoint>>> byKey = new TreeMap<>();
        for (EvalPoint p : points) {
            if (Double.isFinite(p.value())) {
                byKey.computeIfAbsent(p.run() + "/" + p.trajectoryKey(), k -> new TreeMap<>())
                        .computeIfAbsent(p.step(), s -> new ArrayList<>()).add(p);
            }
        }
        Map<String, Trajectory> out = new LinkedHashMap<>();
        byKey.forEach((key, bySteps) -> out.put(key, trajectory(bySteps)));
        return out;
    }

    private static Trajectory trajectory(TreeMap<Long, List<EvalPoint>> bySteps) {
        int n = bySteps.size();
        long[] steps = new long[n];
        double[] scores = new double[n];
        double[] sigmas = new double[n];
        EvalPoint first = bySteps.firstEntry().getValue().get(0);
        int i = 0;
        for (var e : bySteps.entrySet()) {
            steps[i] = e.getKey();
            double sum = 0, variance = 0;
            for (EvalPoint p : e.getValue()) {
                sum += oriented(p);
                double s = binomialSigma(p);
                variance += s * s;
            }
            int seeds = e.getValue().size();
            scores[i] = sum / seeds;
            sigmas[i] = Math.sqrt(variance) / seeds; // error of a mean of independent evaluations
            i++;
        }
        BenchmarkCatalog.Benchmark known = BenchmarkCatalog.find(first.benchmark());
        double ceiling = first.higherIsBetter() && known != null ? known.noSkillHigh() : Double.NaN;
        return new Trajectory(first.run(), first.benchmark(), first.metric(), steps, scores, sigmas, ceiling);
    }

    /** Higher is better: losses and bits per byte negated, perplexity as −log. */
    static double oriented(EvalPoint p) {
        if (p.higherIsBetter()) {
            return p.value();
        }
        return p.metric().equals("ppl") ? -Math.log(p.value()) : -p.value();
    }

    /**
     * √(p(1−p)/n) of an accuracy over {@code n} items (p kept one item from 0 and 1), else its reported
     * {@code stderr}; NaN for a lower-is-better metric (a mean of per-item losses, not a proportion).
     */
    static double binomialSigma(EvalPoint p) {
        if (!p.higherIsBetter()) {
            return Double.NaN;
        }
        if (p.n() != null && p.n() > 1) {
            double n = p.n();
            double q = Math.min(Math.max(p.value(), 1 / n), 1 - 1 / n);
            return Math.sqrt(q * (1 - q) / n);
        }
        return p.stderr() != null && p.stderr() > 0 ? p.stderr() : Double.NaN;
    }

    /** Each checkpoint's held-out σ, or null when a half is too short to fit one. */
    static double[] heldOutSigmas(Trajectory t) {
        double even = halfSpread(t.scores(), 0);
        double odd = halfSpread(t.scores(), 1);
        if (Double.isNaN(even) || Double.isNaN(odd)) {
            return null;
        }
        double floor = 1e-4 * Math.max(1e-6, median(Arrays.stream(t.scores()).map(Math::abs).toArray()));
        double[] sigmas = new double[t.size()];
        for (int i = 0; i < sigmas.length; i++) {
            sigmas[i] = Math.max(floor, i % 2 == 0 ? odd : even); // judged by the other half
        }
        return sigmas;
    }

    /**
     * Robust σ of the checkpoints of one parity around the midpoint of their two same-parity neighbours
     * (1.4826 × median |residual| / √1.5), NaN when fewer than {@link #MIN_HELD_OUT_RESIDUALS} residuals.
     */
    static double halfSpread(double[] scores, int parity) {
        List<Double> residuals = new ArrayList<>();
        for (int i = parity + 2; i + 2 < scores.length; i += 2) {
            residuals.add(Math.abs(scores[i] - (scores[i - 2] + scores[i + 2]) / 2));
        }
        if (residuals.size() < MIN_HELD_OUT_RESIDUALS) {
            return Double.NaN;
        }
        return MAD_TO_SIGMA * median(residuals.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Labels of {@code t} under {@code model}; empty when the model does not apply to it. */
    public static List<Label> label(Trajectory t, NoiseModel model) {
        double[] sigmas = model == NoiseModel.BINOMIAL
                ? (t.hasBinomialError() ? t.binomialSigmas() : null)
                : heldOutSigmas(t);
        return sigmas == null ? List.of() : label(t, sigmas);
    }

    /**
     * The held-out σ over the binomial error (median over the trajectory's checkpoints), NaN where either is
     * missing: ≫ 1 where a benchmark swings beyond sampling error, < 1 where consecutive checkpoints, scored on
     * the same items, agree more than independent samples would.
     */
    static double heldOutOverBinomial(Trajectory t) {
        double[] heldOut = heldOutSigmas(t);
        if (heldOut == null || !t.hasBinomialError()) {
            return Double.NaN;
        }
        double[] ratios = new double[t.size()];
        for (int i = 0; i < ratios.length; i++) {
            ratios[i] = heldOut[i] / t.binomialSigmas()[i];
        }
        return median(ratios);
    }

    /** Whether {@code model} can judge {@code t} at all. */
    public static boolean applies(Trajectory t, NoiseModel model) {
        return model == NoiseModel.BINOMIAL ? t.hasBinomialError() : heldOutSigmas(t) != null;
    }

    /** The rule of the class comment with per-checkpoint σ {@code sigmas}. */
    static List<Label> label(Trajectory t, double[] sigmas) {
        double[] y = t.scores();
        List<Label> labels = new ArrayList<>();
        int i = 1;
        while (i < y.length) {
            int from = Math.max(0, i - LEVEL_CHECKPOINTS);
            double level = mean(y, from, i);
            double levelVariance = meanVariance(sigmas, from, i);
            double z = (level - y[i]) / Math.sqrt(sigmas[i] * sigmas[i] + levelVariance);
            if (z >= DROP_SIGMAS && aboveChance(t, i, level, sigmas[i])) {
                boolean persists = i + 1 < y.length && below(level, levelVariance, y[i + 1], sigmas[i + 1]);
                if (persists || z >= ALONE_SIGMAS) {
                    int end = i;
                    while (end + 1 < y.length && below(level, levelVariance, y[end + 1], sigmas[end + 1])) {
                        end++;
                    }
                    labels.add(new Label(persists ? Kind.PERSISTENT : Kind.SINGLE, i, end, t.steps()[i],
                            t.steps()[end], z));
                    i = end + 1;
                    continue;
                }
            }
            i++;
        }
        labels.addAll(declines(t, sigmas, labels));
        labels.sort((a, b) -> Integer.compare(a.from(), b.from()));
        return labels;
    }

    /**
     * Slow declines that no drop label already covers. One label per decline: it lasts while the window ending
     * at each later checkpoint stays ≥ {@link #CONFIRM_SIGMAS} below the best level, and the next decline is
     * measured from a best level after it.
     */
    private static List<Label> declines(Trajectory t, double[] sigmas, List<Label> drops) {
        double[] y = t.scores();
        int w = DECLINE_WINDOW;
        List<Label> out = new ArrayList<>();
        int searchFrom = 0;
        int end = 2 * w - 1;
        while (end < y.length) {
            int best = -1;
            double bestMean = Double.NEGATIVE_INFINITY;
            for (int b = searchFrom + w - 1; b <= end - w; b++) {
                double m = mean(y, b - w + 1, b + 1);
                if (m > bestMean) {
                    bestMean = m;
                    best = b;
                }
            }
            double bestVariance = meanVariance(sigmas, best - w + 1, best + 1);
            int nextEnd = Math.min(y.length, end + 1 + w);
            if (windowSigmas(y, sigmas, bestMean, bestVariance, end - w + 1, end + 1) >= DROP_SIGMAS
                    && nextEnd - (end + 1) >= 2 && aboveChance(t, best, bestMean, sigmas[best])
                    && windowSigmas(y, sigmas, bestMean, bestVariance, end + 1, nextEnd) >= CONFIRM_SIGMAS) {
                int to = nextEnd - 1;
                while (to + 1 < y.length && windowSigmas(y, sigmas, bestMean, bestVariance, to + 2 - w, to + 2)
                        >= CONFIRM_SIGMAS) {
                    to++;
                }
                Label decline = new Label(Kind.DECLINE, best + 1, to, t.steps()[best + 1], t.steps()[to],
                        windowSigmas(y, sigmas, bestMean, bestVariance, end - w + 1, end + 1));
                if (drops.stream().noneMatch(decline::overlaps)) {
                    out.add(decline);
                }
                searchFrom = to + 1;
                end = searchFrom + 2 * w - 1;
                continue;
            }
            end++;
        }
        return out;
    }

    /** How far the mean of checkpoints {@code from}..{@code to − 1} lies below {@code level}, in σ. */
    private static double windowSigmas(double[] y, double[] sigmas, double level, double levelVariance, int from,
                                       int to) {
        return (level - mean(y, from, to)) / Math.sqrt(levelVariance + meanVariance(sigmas, from, to));
    }

    private static boolean below(double level, double levelVariance, double score, double sigma) {
        return (level - score) / Math.sqrt(sigma * sigma + levelVariance) >= CONFIRM_SIGMAS;
    }

    /**
     * Whether {@code level} is clearly above the no-skill ceiling. By the larger of the checkpoint's σ and its
     * binomial error: telling a score from chance is a question of how many items it was measured on, and a flat
     * at-chance trajectory has a small held-out spread.
     */
    private static boolean aboveChance(Trajectory t, int checkpoint, double level, double sigma) {
        double binomial = t.binomialSigmas()[checkpoint];
        double unit = Double.isFinite(binomial) ? Math.max(sigma, binomial) : sigma;
        return Double.isNaN(t.noSkillCeiling()) || level - t.noSkillCeiling() >= ABOVE_CHANCE_SIGMAS * unit;
    }

    private static double mean(double[] y, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += y[i];
        }
        return sum / (to - from);
    }

    /** Variance of the mean of independent checkpoints {@code from}..{@code to − 1}. */
    private static double meanVariance(double[] sigmas, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += sigmas[i] * sigmas[i];
        }
        int count = to - from;
        return sum / ((double) count * count);
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
