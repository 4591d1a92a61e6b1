package io.runwatch.evaluate;

import io.runwatch.config.Settings;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.EvalPoint;
import io.runwatch.core.RunInput;
import io.runwatch.core.Severity;
import io.runwatch.evaluate.EvalEvaluation.RealScore;
import io.runwatch.evaluate.EvalEvaluation.SyntheticScore;
import io.runwatch.evaluate.SyntheticEvalSuite.Curve;
import io.runwatch.evaluate.SyntheticEvalSuite.Suite;
import io.runwatch.evaluate.SyntheticEvalSuite.Truth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The frontier of issue 13's eval targets on the widened synthetic suite: what a detector that knew each
 * trajectory's noiseless curve and noise scale would reach (an upper bound for anything that must estimate the
 * level and the noise), against runwatch's own curve over its significance knob, both scored by
 * {@link EvalEvaluation#scoreSynthetic} on the same draws (seeds as {@code EvalEvaluation --seeds}).
 *
 * <p>The oracle's residual of a checkpoint is (observed − noiseless) / noise scale, oriented so that a drop is
 * negative: the observed score is the seeds' mean of what a detector receives (re-deliveries once), the noise scale
 * that of the noise drawn ({@link Curve#noiseScale()}: the plotted point's noise unit for most benchmarks; for the
 * loss, whose drops are measured in the larger relative floor, the 0.004 drawn, so a drop looks larger to the
 * oracle than its nominal size; for the unstable format, its swing). Rules, each alerting (an eval_regression at
 * the checkpoint, or the first of the pair) whenever it holds:
 * <ul>
 *   <li>{@code single}: the residual is below −T;</li>
 *   <li>{@code pair}: the mean residual of two consecutive checkpoints is below −T in its own noise, i.e. their
 *       sum / √2 (the residuals are independent);</li>
 *   <li>{@code either}: single or pair at the same T; {@code either, split}: single at T₁ or pair at T₂;</li>
 *   <li>each of these with a per-trajectory α: T of a trajectory of n checkpoints is the Student-t(7) quantile of
 *       α / n (Bonferroni, as runwatch; conservative for the pair, whose tail is lighter): long trajectories get a
 *       higher threshold than short ones.</li>
 * </ul>
 * A threshold on the residual is all but the most powerful test of one checkpoint against Student-t noise (its
 * likelihood ratio turns down again only past the drop itself, where the noise has almost no mass: below −11 for a
 * 5σ drop at T 4, 4·10⁻⁶ of a checkpoint), so these rules bound what a detector of that noise can do. Beside each
 * T: the analytic per-checkpoint figures of Student-t(7) noise at robust sigma 1 (a one-seed accuracy's
 * noise): recall of a single drop (its sizes 5, 6, 7, 8, 10 equally likely) F(d − T), a checkpoint's tail F(−T),
 * and the smooth trajectories expected to alert, Σ 1 − (1 − F(−T))^n over their lengths.
 *
 * <p>Run from the repository root: {@code mvn -B -q -Pevaluate -pl streams test-compile exec:java
 * -Devaluate.main=io.runwatch.evaluate.EvalFrontier -Dexec.args="--seeds 8"}
 * (README, "Checkpoint evaluations"); {@code --no-runwatch} prints the oracle alone (seconds),
 * {@code --real} adds the real tables' sustained declines, smooth trajectories and tickets to runwatch's rows
 * ({@code --real-only}: those alone), {@code --misses} prints only runwatch's missed
 * single and confirmed drops by cause.
 */
public final class EvalFrontier {
    /** Seeds of the widened suite, as {@code EvalWidenedEvaluationTest}. */
    static final int SEEDS = 8;
    /** Thresholds of the oracle sweep, in noise units; the last is "never". */
    static final double[] THRESHOLDS = {2.5, 3, 3.4, 4, 4.25, 4.4, 4.5, 5, 5.5, 6, 6.5, 7, 8, 9, 10, 12,
            Double.POSITIVE_INFINITY};
    /**
     * The split {@code either} rule: pair threshold (where the pair alone finds ≥ 0.98 of the confirmed drops with
     * a handful of smooth trajectories alerted) and the single thresholds swept beside it.
     */
    static final double SPLIT_PAIR_THRESHOLD = 6;
    static final double[] SPLIT_SINGLE_THRESHOLDS = {4.25, 4.5, 5, 5.5, 6, 7, 8, 10, Double.POSITIVE_INFINITY};
    /** False-alarm chances per trajectory of the oracle's Bonferroni variant. */
    static final double[] TRAJECTORY_ALPHAS = {0.5, 0.2, 0.05, 0.01, 0.001, 1e-4, 1e-5};
    /** runwatch's {@code evals.regression.alpha} values swept (0.01 is the default). */
    static final double[] RUNWATCH_ALPHAS = {1e-6, 1e-4, 0.001, 0.01, 0.05, 0.2};
    /** Drop sizes of the synthetic suite at 5 noise units or more, equally likely. */
    private static final double[] BIG_DROP_SIZES = {5, 6, 7, 8, 10};

    /** How the oracle judges residuals. */
    enum Rule { SINGLE, PAIR, EITHER }

    private EvalFrontier() {
    }

    public static void main(String[] args) {
        long started = System.nanoTime();
        List<String> arguments = List.of(args);
        int seedsArg = arguments.indexOf("--seeds");
        int seeds = seedsArg >= 0 ? Integer.parseInt(args[seedsArg + 1]) : SEEDS;
        List<Suite> suites = suites(seeds);
        System.out.println(oracleSection(suites).toMarkdown());
        System.out.println(bonferroniSection(suites).toMarkdown());
        System.out.printf(Locale.ROOT, "(oracle: %.1f s)%n%n", (System.nanoTime() - started) / 1e9);
        if (arguments.contains("--misses")) {
            System.out.println(misses(Settings.defaults(), suites, false).toMarkdown());
            System.out.println(misses(Settings.defaults(), suites, true).toMarkdown());
            return;
        }
        if (!arguments.contains("--no-runwatch")) {
            Path shared = arguments.contains("--real") || arguments.contains("--real-only") ? Evaluate.sharedData()
                    : null;
            System.out.println(runwatchSection(suites, shared, !arguments.contains("--real-only")).toMarkdown());
        }
        System.out.printf(Locale.ROOT, "(frontier took %.1f s)%n", (System.nanoTime() - started) / 1e9);
    }

    /** The widened suite of the pinned seed and the {@code seeds} − 1 after it, as {@code EvalEvaluation}. */
    static List<Suite> suites(int seeds) {
        List<Suite> suites = new ArrayList<>();
        for (int i = 0; i < seeds; i++) {
            suites.add(SyntheticEvalSuite.generate(EvalEvaluation.SYNTHETIC_SEED + i, EvalEvaluation.SYNTHETIC_RUNS));
        }
        return suites;
    }

    /** The oracle over the threshold sweep, each rule, pooled over {@code suites}. */
    static Section oracleSection(List<Suite> suites) {
        List<Map<String, double[]>> residuals = suites.stream().map(EvalFrontier::residuals).toList();
        List<Integer> smoothLengths = smoothLengths(suites);
        List<List<String>> rows = new ArrayList<>();
        for (Rule rule : Rule.values()) {
            for (double t : THRESHOLDS) {
                List<String> row = new ArrayList<>(List.of(rule.name().toLowerCase(Locale.ROOT), threshold(t)));
                row.addAll(targetCells(oracle(suites, residuals, rule, t, t)));
                if (rule == Rule.SINGLE) {
                    row.addAll(List.of(String.format(Locale.ROOT, "%.3f", analyticSingleRecall(t)),
                            String.format(Locale.ROOT, "%.1e", tDistribution7(-t)),
                            String.format(Locale.ROOT, "%.0f", analyticSmoothAlerted(t, smoothLengths))));
                } else {
                    row.addAll(List.of("", "", ""));
                }
                rows.add(row);
            }
        }
        for (double singleT : SPLIT_SINGLE_THRESHOLDS) {
            List<String> row = new ArrayList<>(List.of("either, split",
                    threshold(singleT) + " / " + threshold(SPLIT_PAIR_THRESHOLD)));
            row.addAll(targetCells(oracle(suites, residuals, Rule.EITHER, singleT, SPLIT_PAIR_THRESHOLD)));
            row.addAll(List.of("", "", ""));
            rows.add(row);
        }
        return new Section("Oracle on the widened suite (" + suites.size() + " seeds): knows each trajectory's "
                + "noiseless curve and noise scale, alerts when the residual is below −T",
                header(List.of("rule", "T (noise units; split: single / pair)"), "analytic: single recall",
                        "analytic: tail per checkpoint", "analytic: smooth expected"), rows,
                List.of("Scored by EvalEvaluation.scoreSynthetic, as runwatch. Analytic: Student-t(7) at robust "
                                + "sigma 1 per checkpoint (one-seed accuracies; 3-seed means and the loss are less "
                                + "heavy-tailed), single recall over sizes 5-10 without the 3 checkpoints before a "
                                + "drop that scoring also accepts.",
                        "pair: the two residuals' sum / √2 below −T, alerting at the pair's first checkpoint; "
                                + "either: single or pair at the same T; either, split: single at T₁ or pair at T₂."));
    }

    /** The oracle under {@code rule} (single at {@code singleT}, pair at {@code pairT}) pooled over the suites. */
    static SyntheticScore oracle(List<Suite> suites, List<Map<String, double[]>> residuals, Rule rule,
                                 double singleT, double pairT) {
        SyntheticScore s = SyntheticScore.NONE;
        for (int i = 0; i < suites.size(); i++) {
            s = s.plus(EvalEvaluation.scoreSynthetic(suites.get(i),
                    oracleAlerts(suites.get(i), residuals.get(i), rule, singleT, pairT)));
        }
        return s;
    }

    /** The oracle whose threshold keeps each trajectory's false-alarm chance at α (T from α / its length). */
    static Section bonferroniSection(List<Suite> suites) {
        List<Map<String, double[]>> residuals = suites.stream().map(EvalFrontier::residuals).toList();
        List<List<String>> rows = new ArrayList<>();
        for (Rule rule : Rule.values()) {
            for (double alpha : TRAJECTORY_ALPHAS) {
                SyntheticScore s = SyntheticScore.NONE;
                for (int i = 0; i < suites.size(); i++) {
                    s = s.plus(EvalEvaluation.scoreSynthetic(suites.get(i),
                            bonferroniAlerts(suites.get(i), residuals.get(i), rule, alpha)));
                }
                List<String> row = new ArrayList<>(List.of(rule.name().toLowerCase(Locale.ROOT),
                        String.valueOf(alpha), String.format(Locale.ROOT, "%.1f / %.1f",
                                tailQuantile7(alpha / 20), tailQuantile7(alpha / 200))));
                row.addAll(targetCells(s));
                rows.add(row);
            }
        }
        return new Section("Oracle with a per-trajectory false-alarm chance α (Bonferroni over its checkpoints; "
                + suites.size() + " seeds)", header(List.of("rule", "α per trajectory", "T at 20 / 200 checkpoints")),
                rows, List.of());
    }

    /**
     * runwatch (pure monitors, default settings but the swept knob) on the same draws; with real tables, their
     * eval_regression tickets per run at each point.
     */
    static Section runwatchSection(List<Suite> suites, Path sharedDataOrNull) {
        return runwatchSection(suites, sharedDataOrNull, true);
    }

    /** As above; without {@code synthetic} only the real tables' cells (seconds per point instead of a minute). */
    static Section runwatchSection(List<Suite> suites, Path sharedDataOrNull, boolean synthetic) {
        List<RunInput> real = sharedDataOrNull != null && Files.isDirectory(sharedDataOrNull.resolve("data/evals"))
                ? EvalRealData.load(sharedDataOrNull.resolve("data/evals")) : null;
        List<List<String>> rows = new ArrayList<>();
        for (double[] knobs : runwatchPoints()) {
            Settings settings = Settings.defaults().with(Settings.EVAL_ALPHA, knobs[0])
                    .with(Settings.EVAL_TAIL_DOF, knobs[1]);
            List<String> row = new ArrayList<>(List.of(knobs[1] == 0 ? "0 (Gaussian)" : String.format(Locale.ROOT,
                    "%.0f", knobs[1]), String.valueOf(knobs[0])));
            row.addAll(synthetic ? targetCells(runwatch(settings, suites)) : List.of("", "", "", ""));
            if (real != null) {
                RealScore r = EvalEvaluation.scoreReal(EvalRealData.labels(), new MonitorDetection(settings).detect(real));
                int[] declines = r.byLabel().getOrDefault("sustained_decline", new int[3]);
                int[] smooth = r.byLabel().getOrDefault("smooth_monotone", new int[3]);
                row.addAll(List.of(declines[1] + "/" + declines[0], smooth[1] + "/" + smooth[0], r.ticketsPerRun()));
            }
            System.err.println("runwatch point: " + String.join(" | ", row)); // each point takes a while
            rows.add(row);
        }
        List<String> header = new ArrayList<>(header(List.of("evals.noise.tail.dof", "evals.regression.alpha")));
        if (real != null) {
            header.addAll(List.of("real: sustained declines found", "real: smooth alerted",
                    "real: tickets per run (median / max / total)"));
        }
        return new Section("runwatch against its significance knobs on the same draws (" + suites.size()
                + " seeds, pure monitors)", header, rows, List.of());
    }

    /**
     * runwatch's misses of ≥ 5σ drops lasting two checkpoints or more (with {@code single}: of one checkpoint), by
     * what stood in the way (first that applies): an earlier episode of the trajectory still open when the drop
     * began; a noisy class; an alert only after the drop (up to 5 checkpoints late); none. With the oracle's lowest
     * z in the drop (pair z; a single drop's own residual), to tell a drop the noise hid from one a detector should
     * have seen.
     */
    static Section misses(Settings settings, List<Suite> suites, boolean single) {
        Map<String, int[]> byCause = new LinkedHashMap<>(); // cause -> misses, oracle pair z < -6, length 2, RISING
        Map<String, Map<String, Integer>> benchmarksByCause = new HashMap<>();
        for (String cause : List.of("episode open", "alerted after the drop", "no alert")) {
            byCause.put(cause, new int[4]);
        }
        Detection detection = new MonitorDetection(settings);
        long interval = SyntheticEvalSuite.CHECKPOINT_INTERVAL;
        for (Suite suite : suites) {
            List<Alert> alerts = detection.detect(suite.inputs());
            Map<String, double[]> residuals = residuals(suite);
            Map<String, Long> resolvedAt = new HashMap<>();
            alerts.stream().filter(a -> !a.isFiring()).forEach(a -> resolvedAt.merge(a.id(), a.detectedAtStep(), Math::min));
            Map<String, List<Alert>> byTrajectory = new HashMap<>();
            alerts.stream().filter(Alert::isFiring)
                    .forEach(a -> byTrajectory.computeIfAbsent(a.run() + "/" + a.subject(), k -> new ArrayList<>()).add(a));
            for (Truth truth : suite.truths().values()) {
                List<Alert> own = byTrajectory.getOrDefault(truth.key(), List.of());
                for (SyntheticEvalSuite.Drop drop : truth.drops()) {
                    if (drop.gross() || drop.noiseUnits() < 5 || (drop.fromStep() == drop.toStep()) != single) {
                        continue;
                    }
                    boolean found = own.stream().anyMatch(a -> a.type() == AlertType.eval_regression
                            && a.step() >= drop.fromStep() - 3 * interval && a.step() <= drop.toStep());
                    if (found) {
                        continue;
                    }
                    boolean open = own.stream().anyMatch(a -> a.type() == AlertType.eval_regression
                            && a.step() < drop.fromStep() && resolvedAt.getOrDefault(a.id(), Long.MAX_VALUE) >= drop.fromStep());
                    String noisy = own.stream().filter(a -> a.type() == AlertType.eval_noisy
                            && !"unstable".equals(a.details().get("reason")) && a.detectedAtStep() <= drop.toStep()
                            && resolvedAt.getOrDefault(a.id(), Long.MAX_VALUE) >= drop.fromStep())
                            .map(a -> "classed noisy (" + a.details().get("reason") + ")").findFirst().orElse(null);
                    boolean late = own.stream().anyMatch(a -> a.type() == AlertType.eval_regression
                            && a.step() > drop.toStep() && a.step() <= drop.toStep() + 5 * interval);
                    String cause = open ? "episode open" : noisy != null ? noisy : late ? "alerted after the drop"
                            : "no alert";
                    double[] r = residuals.get(truth.key());
                    int from = (int) (drop.fromStep() / interval) - 1;
                    int to = (int) (drop.toStep() / interval) - 1;
                    double lowestPair = single ? r[from] : Double.POSITIVE_INFINITY;
                    for (int i = from; i < to; i++) {
                        lowestPair = Math.min(lowestPair, (r[i] + r[i + 1]) / Math.sqrt(2));
                    }
                    int[] cell = byCause.computeIfAbsent(cause, c -> new int[4]);
                    cell[0]++;
                    cell[1] += lowestPair < -SPLIT_PAIR_THRESHOLD ? 1 : 0;
                    cell[2] += drop.length() == 2 ? 1 : 0;
                    cell[3] += truth.kind().equals("RISING") ? 1 : 0;
                    benchmarksByCause.computeIfAbsent(cause, c -> new TreeMap<>()).merge(truth.benchmark(), 1,
                            Integer::sum);
                }
            }
        }
        List<List<String>> rows = new ArrayList<>();
        byCause.forEach((cause, cell) -> rows.add(List.of(cause, String.valueOf(cell[0]), String.valueOf(cell[1]),
                String.valueOf(cell[2]), String.valueOf(cell[3]), benchmarksByCause.getOrDefault(cause, Map.of())
                        .entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                        .reduce((a, b) -> a + ", " + b).orElse(""))));
        return new Section("runwatch's missed ≥5σ drops " + (single ? "of one checkpoint" : "over ≥ 2 checkpoints")
                + ", by cause (" + suites.size() + " seeds, default settings)", List.of("cause", "misses",
                "oracle " + (single ? "residual" : "pair z") + " below −" + SPLIT_PAIR_THRESHOLD + " (plainly visible)",
                "lasting 2 checkpoints", "on a RISING benchmark",
                "benchmarks"),
                rows, List.of("An episode open: an earlier eval_regression of the trajectory not resolved when the "
                        + "drop began (a drop inside it is not a new episode); classed noisy: an eval_noisy class "
                        + "other than unstable in force; after the drop: an alert up to 5 checkpoints late."));
    }

    /** (α, tail dof) points of runwatch's curve: the Gaussian thresholds over α, and the tail model at a loose α. */
    static List<double[]> runwatchPoints() {
        List<double[]> points = new ArrayList<>();
        for (double alpha : RUNWATCH_ALPHAS) {
            points.add(new double[] {alpha, 0});
        }
        points.add(new double[] {0.5, 8});
        return points;
    }

    /** runwatch with {@code settings} on {@code suites}, pooled. */
    static SyntheticScore runwatch(Settings settings, List<Suite> suites) {
        Detection detection = new MonitorDetection(settings);
        SyntheticScore s = SyntheticScore.NONE;
        for (Suite suite : suites) {
            s = s.plus(EvalEvaluation.scoreSynthetic(suite, detection.detect(suite.inputs())));
        }
        return s;
    }

    /**
     * Each trajectory's oriented residuals (observed − noiseless) / noise scale, by checkpoint index, from the
     * results as a detector receives them: re-deliveries counted once, seeds averaged.
     */
    static Map<String, double[]> residuals(Suite suite) {
        Map<String, Map<Long, Map<String, Double>>> observed = new HashMap<>();
        for (RunInput input : suite.inputs()) {
            EvalPoint p = input.eval();
            if (p != null) {
                observed.computeIfAbsent(p.run() + "/" + p.trajectoryKey(), k -> new TreeMap<>())
                        .computeIfAbsent(p.step(), s -> new HashMap<>())
                        .put(p.seed() == null ? "" : p.seed(), p.value());
            }
        }
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Curve> entry : suite.curves().entrySet()) {
            Curve curve = entry.getValue();
            Map<Long, Map<String, Double>> byStep = observed.getOrDefault(entry.getKey(), Map.of());
            double[] r = new double[curve.steps().length];
            for (int i = 0; i < r.length; i++) {
                Map<String, Double> seeds = byStep.get(curve.steps()[i]);
                double mean = seeds.values().stream().mapToDouble(Double::doubleValue).average().orElseThrow();
                double residual = (mean - curve.expected()[i]) / curve.noiseScale()[i];
                r[i] = curve.higherIsBetter() ? residual : -residual;
            }
            out.put(entry.getKey(), r);
        }
        return out;
    }

    /** The oracle's alerts under {@code rule} at threshold {@code t}: one eval_regression per alerting checkpoint. */
    static List<Alert> oracleAlerts(Suite suite, Map<String, double[]> residuals, Rule rule, double t) {
        return oracleAlerts(suite, residuals, rule, t, t);
    }

    /** As {@link #oracleAlerts(Suite, Map, Rule, double)} with the single and pair thresholds apart. */
    static List<Alert> oracleAlerts(Suite suite, Map<String, double[]> residuals, Rule rule, double singleT,
                                    double pairT) {
        List<Alert> alerts = new ArrayList<>();
        for (Truth truth : suite.truths().values()) {
            double[] r = residuals.get(truth.key());
            alert(truth, suite.curves().get(truth.key()), r, rule, singleT, pairT, alerts);
        }
        return alerts;
    }

    /** The oracle at per-trajectory false-alarm chance α: a trajectory of n checkpoints uses T = F⁻¹(1 − α/n). */
    static List<Alert> bonferroniAlerts(Suite suite, Map<String, double[]> residuals, Rule rule, double alpha) {
        List<Alert> alerts = new ArrayList<>();
        for (Truth truth : suite.truths().values()) {
            double[] r = residuals.get(truth.key());
            double t = tailQuantile7(alpha / r.length);
            alert(truth, suite.curves().get(truth.key()), r, rule, t, t, alerts);
        }
        return alerts;
    }

    private static void alert(Truth truth, Curve curve, double[] r, Rule rule, double singleT, double pairT,
                              List<Alert> out) {
        for (int i = 0; i < r.length; i++) {
            boolean single = rule != Rule.PAIR && r[i] < -singleT;
            if (single) {
                out.add(regression(truth, curve.steps()[i]));
            }
            if (rule != Rule.SINGLE && i + 1 < r.length && (r[i] + r[i + 1]) / Math.sqrt(2) < -pairT && !single) {
                out.add(regression(truth, curve.steps()[i]));
            }
        }
    }

    private static Alert regression(Truth truth, long step) {
        return Alert.firing(truth.run(), AlertType.eval_regression, Severity.ticket, step)
                .benchmark(truth.benchmark(), truth.metric()).build();
    }

    /** Lengths of the trajectories scored as smooth (no drop, not stuck at chance, not unstable). */
    private static List<Integer> smoothLengths(List<Suite> suites) {
        List<Integer> lengths = new ArrayList<>();
        for (Suite suite : suites) {
            for (Truth truth : suite.truths().values()) {
                if (truth.drops().isEmpty() && !truth.stuckAtChance() && !truth.kind().equals("UNSTABLE")) {
                    lengths.add(suite.curves().get(truth.key()).steps().length);
                }
            }
        }
        return lengths;
    }

    /** Mean over the suite's ≥ 5σ drop sizes of the chance that one checkpoint of that drop falls below −t. */
    static double analyticSingleRecall(double t) {
        double sum = 0;
        for (double d : BIG_DROP_SIZES) {
            sum += tDistribution7(d - t);
        }
        return sum / BIG_DROP_SIZES.length;
    }

    /** Expected smooth trajectories with at least one checkpoint below −t under independent t(7) residuals. */
    static double analyticSmoothAlerted(double t, List<Integer> lengths) {
        double tail = tDistribution7(-t);
        return lengths.stream().mapToDouble(n -> 1 - Math.pow(1 - tail, n)).sum();
    }

    /**
     * The CDF of the Student-t with 7 degrees of freedom scaled to robust sigma 1 (the suite's noise): closed form
     * for odd degrees of freedom, P(|t| < x) = 2/π (θ + sin θ (cos θ + 2/3 cos³θ + 8/15 cos⁵θ)), θ = atan(x/√7).
     */
    static double tDistribution7(double x) {
        if (Double.isInfinite(x)) {
            return x > 0 ? 1 : 0;
        }
        double t = x / SyntheticEvalSuite.TAIL_SCALE;
        double theta = Math.atan(Math.abs(t) / Math.sqrt(SyntheticEvalSuite.TAIL_DOF));
        double c = Math.cos(theta);
        double inside = 2 / Math.PI * (theta + Math.sin(theta) * (c + 2.0 / 3 * c * c * c + 8.0 / 15 * Math.pow(c, 5)));
        return t >= 0 ? 0.5 + inside / 2 : 0.5 - inside / 2;
    }

    /** The x whose upper tail 1 − F(x) under {@link #tDistribution7} is {@code tail} (bisection). */
    static double tailQuantile7(double tail) {
        double lo = 0;
        double hi = 1_000;
        for (int k = 0; k < 100; k++) {
            double mid = (lo + hi) / 2;
            if (tDistribution7(-mid) > tail) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return (lo + hi) / 2;
    }

    /** {@code before}, the four targets' columns, then {@code after}. */
    private static List<String> header(List<String> before, String... after) {
        List<String> header = new ArrayList<>(before);
        header.addAll(List.of("single ≥5σ (≥ 0.93)", "confirmed ≥5σ (≥ 0.98)", "dips <2σ alerted (≤ 3 %)",
                "smooth alerted (0)"));
        header.addAll(List.of(after));
        return header;
    }

    private static List<String> targetCells(SyntheticScore s) {
        return List.of(String.format(Locale.ROOT, "%.3f (%d/%d)", s.singleRecall(), s.singleFound(), s.singleDrops()),
                String.format(Locale.ROOT, "%.3f (%d/%d)", s.confirmedRecall(), s.confirmedFound(), s.confirmedDrops()),
                String.format(Locale.ROOT, "%.1f %% (%d/%d)", 100 * s.smallAlertedShare(), s.smallAlerted(),
                        s.smallDrops()),
                s.smoothAlerted() + "/" + s.smooth());
    }

    private static String threshold(double t) {
        return Double.isInfinite(t) ? "∞" : String.valueOf(t);
    }
}
