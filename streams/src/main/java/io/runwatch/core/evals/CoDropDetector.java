package io.runwatch.core.evals;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.EvalPoint;
import io.runwatch.core.Severity;
import io.runwatch.core.evals.EvalRunState.CoDropEpisode;
import io.runwatch.core.evals.EvalRunState.FallenBenchmark;
import io.runwatch.core.evals.EvalRunState.TrajectorySummary;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * eval_co_drop: several benchmarks of a run fall at one checkpoint, each against its own expectation and noise.
 * That is a training event (a loss spike, a bad data shard, a learning-rate change), not an evaluation problem,
 * and one run-level ticket names the checkpoint, the benchmarks and the loss-spike episode between this
 * checkpoint and the one before, when the run's training alerts had one.
 *
 * <p><b>The rule.</b> Each benchmark evaluated at the checkpoint contributes one residual z: how far the checkpoint
 * sits below what its trend expected, in its own noise units (the median over the benchmark's metrics, lower
 * median for an even count, so one format of a benchmark cannot make it fall). Without a training event the
 * residuals of different benchmarks are independent draws from the noise; the test asks, at each of the levels
 * {@link #LEVELS} (1 to 4 noise units), how likely it is that at least k of the N benchmarks fall that far, k being
 * how many did: the binomial tail P(K ≥ k | N, p(level)), with p(level) the chance that one residual falls that far
 * under the heavy-tailed null ({@link #NULL_DOF}). The smallest of the four tails, times 4 (Bonferroni over the
 * levels), is the checkpoint's p-value; only levels that at least {@code evals.co.drop.benchmarks} benchmarks
 * reached count (two far falls are as likely a shared harness bug). It is a co-drop when that p-value is below
 * {@code evals.co.drop.alpha} / checkpoints (a per-run false-alarm budget spread over the run's checkpoints). So
 * three benchmarks falling 4σ together are a co-drop even when none of them crosses its own single-checkpoint
 * threshold, and nine of twelve benchmarks falling 1.5σ each are one too (p ≈ 10⁻⁵), while one benchmark falling
 * 10σ alone is not: that is eval_regression's business.
 */
final class CoDropDetector {
    /**
     * Noise units a benchmark's fall is counted at. 1 is "beyond its own noise" and catches many small falls; 2–4
     * catch a few large ones, where the count at 1 would drown in the benchmarks that merely wobbled.
     */
    static final double[] LEVELS = {1, 2, 3, 4};
    /**
     * Degrees of freedom of the Student-t that one residual follows without a training event, scaled to robust
     * sigma 1 like the noise unit: 7 is the fit to the OLMo-2 7B residuals (1.25 % beyond 3 sigma, 0.39 % beyond
     * 4; see the README's evaluation section). A Gaussian null would call three 3-sigma wobbles among 20
     * benchmarks a co-drop about 6 times too often.
     */
    static final double NULL_DOF = 7;
    private static final double[] NULL_TAIL = new double[LEVELS.length];

    static {
        double scale = 1.4826 * Significance.studentTQuantile(0.25, NULL_DOF);
        for (int i = 0; i < LEVELS.length; i++) {
            NULL_TAIL[i] = Significance.studentTTail(LEVELS[i] * scale, NULL_DOF);
        }
    }

    private final EvalSettings settings;

    CoDropDetector(EvalSettings settings) {
        this.settings = settings;
    }

    /**
     * The test of one checkpoint.
     *
     * @param benchmarks  benchmarks with a residual at the checkpoint
     * @param fell        of them, how many fell at least one noise unit
     * @param level       the level (noise units) whose tail gave the p-value
     * @param beyondLevel benchmarks that fell at least that far
     * @param pValue      Bonferroni-corrected over the levels
     * @param pThreshold  α over the run's checkpoints
     */
    record Verdict(int benchmarks, int fell, double level, int beyondLevel, double pValue, double pThreshold) {
        /** Only levels that at least {@code evals.co.drop.benchmarks} benchmarks reached give a p-value below 1. */
        boolean isCoDrop() {
            return pValue <= pThreshold;
        }
    }

    /** The test over one residual z per benchmark (positive: fell) at a checkpoint of a run with that many checkpoints. */
    static Verdict test(double[] benchmarkZ, long checkpoints, double alpha, int minBenchmarks) {
        int n = benchmarkZ.length;
        double best = 1;
        int bestLevel = 0;
        int[] beyond = new int[LEVELS.length];
        for (double z : benchmarkZ) {
            for (int i = 0; i < LEVELS.length; i++) {
                if (z >= LEVELS[i]) {
                    beyond[i]++;
                }
            }
        }
        for (int i = 0; i < LEVELS.length; i++) {
            if (beyond[i] < minBenchmarks) {
                continue; // two far falls are not a training event, however improbable (a shared harness bug)
            }
            double tail = binomialTail(beyond[i], n, NULL_TAIL[i]);
            if (tail < best) {
                best = tail;
                bestLevel = i;
            }
        }
        double p = Math.min(1, best * LEVELS.length);
        return new Verdict(n, beyond[0], LEVELS[bestLevel], beyond[bestLevel], p, alpha / Math.max(1, checkpoints));
    }

    /** P(K ≥ k) for K ~ Binomial(n, p), summed in log space (n is a run's benchmark count: hundreds at most). */
    static double binomialTail(int k, int n, double p) {
        if (k <= 0) {
            return 1;
        }
        if (k > n) {
            return 0;
        }
        double logP = Math.log(p);
        double logQ = Math.log1p(-p);
        double logChoose = 0; // log C(n, j), built up from j = 0
        for (int j = 1; j <= k; j++) {
            logChoose += Math.log(n - j + 1) - Math.log(j);
        }
        double sum = 0;
        for (int j = k; j <= n; j++) {
            sum += Math.exp(logChoose + j * logP + (n - j) * logQ);
            logChoose += Math.log(n - j) - Math.log(j + 1);
        }
        return Math.min(1, sum);
    }

    /** One benchmark at the checkpoint: the trajectory standing for it and its residual. */
    record BenchmarkResidual(String benchmark, String trajectoryKey, double z, double expected, double unit) {
    }

    /** Per benchmark with a residual at {@code step}: the lower median of its metrics' residuals. */
    static List<BenchmarkResidual> residualsAt(EvalRunState run, long step) {
        Map<String, List<BenchmarkResidual>> byBenchmark = new TreeMap<>();
        run.trajectories.forEach((key, summary) -> {
            int i = summary.residualIndex(step);
            if (i >= 0 && summary.benchmark != null && Double.isFinite(summary.residualZ[i])) {
                byBenchmark.computeIfAbsent(summary.benchmark, b -> new ArrayList<>()).add(new BenchmarkResidual(
                        summary.benchmark, key, summary.residualZ[i], summary.residualExpected[i],
                        summary.residualUnit[i]));
            }
        });
        List<BenchmarkResidual> residuals = new ArrayList<>(byBenchmark.size());
        for (List<BenchmarkResidual> metrics : byBenchmark.values()) {
            metrics.sort(Comparator.comparingDouble(BenchmarkResidual::z).thenComparing(BenchmarkResidual::trajectoryKey));
            residuals.add(metrics.get((metrics.size() - 1) / 2));
        }
        return residuals;
    }

    /**
     * After the residual of {@code point}'s checkpoint was remembered: the firing record when the checkpoint is now
     * a co-drop and none is open, else null. Only a fall can make a checkpoint significant (another benchmark that
     * held only adds to N), so the test runs when this benchmark fell at least one noise unit.
     *
     * <p>Results of a checkpoint arrive benchmark by benchmark. A significant checkpoint fires once every benchmark
     * of the run has a result for it, so that the ticket names all that fell; one that some benchmark never
     * reports (evaluated every few checkpoints only) is held until the first result of a later checkpoint.
     */
    Alert test(EvalRunState run, TrajectoryState t, EvalPoint point, int index, double z,
               TrainingEpisodes episodes) {
        long step = t.recent.get(index).step;
        if (run.coDrop != null) {
            return null;
        }
        if (run.pendingCoDropStep != Long.MIN_VALUE && step > run.pendingCoDropStep) {
            long pending = run.pendingCoDropStep;
            run.pendingCoDropStep = Long.MIN_VALUE;
            int pendingIndex = t.indexOf(pending);
            Alert held = pendingIndex >= 0 && pending > run.lastCoDropEndStep
                    ? open(run, t, point, pendingIndex, episodes, true) : null;
            if (held != null) {
                return held;
            }
        }
        // The held checkpoint is looked at again with each of its results: the last to report may not have fallen.
        if (step <= run.lastCoDropEndStep || !(z >= LEVELS[0] || step == run.pendingCoDropStep)) {
            return null;
        }
        return open(run, t, point, index, episodes, false);
    }

    private Alert open(EvalRunState run, TrajectoryState t, EvalPoint point, int index, TrainingEpisodes episodes,
                       boolean whateverIsMissing) {
        long step = t.recent.get(index).step;
        List<BenchmarkResidual> residuals = residualsAt(run, step);
        double[] zs = residuals.stream().mapToDouble(BenchmarkResidual::z).toArray();
        Verdict verdict = test(zs, t.checkpointsSeen, settings.coDropAlpha(), settings.coDropBenchmarks());
        if (!verdict.isCoDrop()) {
            return null;
        }
        if (!whateverIsMissing && !everyBenchmarkReported(run, step)) {
            run.pendingCoDropStep = step;
            return null;
        }
        List<BenchmarkResidual> fallen = residuals.stream().filter(r -> r.z() >= LEVELS[0])
                .sorted(Comparator.comparingDouble(BenchmarkResidual::z).reversed()).toList();
        long previousStep = index > 0 ? t.recent.get(index - 1).step : Long.MIN_VALUE;
        TrainingEpisode spike = spikeBetween(episodes.of(t.run), previousStep, step);

        CoDropEpisode episode = new CoDropEpisode();
        episode.step = step;
        Map<String, Double> fallenZ = new LinkedHashMap<>();
        for (BenchmarkResidual r : fallen) {
            FallenBenchmark f = new FallenBenchmark();
            f.trajectoryKey = r.trajectoryKey();
            f.expected = r.expected();
            f.unit = r.unit();
            episode.fallen.put(r.benchmark(), f);
            fallenZ.put(r.benchmark(), round(r.z()));
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("checkpointStep", step);
        details.put("benchmarks", List.copyOf(fallenZ.keySet()));
        details.put("benchmarkZ", fallenZ);
        details.put("benchmarksEvaluated", verdict.benchmarks());
        details.put("benchmarksFell", verdict.fell());
        details.put("level", verdict.level());
        details.put("benchmarksBeyondLevel", verdict.beyondLevel());
        details.put("pValue", verdict.pValue());
        details.put("pThreshold", verdict.pThreshold());
        details.put("checkpoints", t.checkpointsSeen);
        if (previousStep != Long.MIN_VALUE) {
            details.put("previousCheckpointStep", previousStep);
        }
        if (spike != null) {
            details.put("lossSpikeId", spike.id());
            details.put("lossSpikeType", spike.type());
            details.put("lossSpikeOnsetStep", spike.onsetStep());
        }
        Alert.Builder alert = Alert.firing(t.run, AlertType.eval_co_drop, Severity.ticket, step)
                .detectedAt(point.step(), point.timeMs())
                .value(verdict.fell())
                .threshold(settings.coDropBenchmarks())
                .summary(summary(t.run, step, previousStep, fallenZ, verdict, spike))
                .details(details);
        if (previousStep != Long.MIN_VALUE) {
            alert.rollbackTo(previousStep);
        }
        if (spike != null) {
            alert.related(spike.id());
        }
        Alert firing = alert.build();
        episode.id = firing.id();
        run.coDrop = episode;
        return firing;
    }

    /**
     * The resolved record once more than half of the fallen benchmarks are back within
     * {@code evals.regression.resolve.z} noise units of what was expected at the co-drop, judged at a later
     * checkpoint of the trajectory standing for each; else null.
     */
    Alert resolveIfRecovered(EvalRunState run, TrajectoryState t, EvalPoint point, String trajectoryKey, int index) {
        CoDropEpisode episode = run.coDrop;
        if (episode == null || index < 0 || t.recent.get(index).step <= episode.step) {
            return null;
        }
        FallenBenchmark fallen = episode.fallen.get(t.benchmark);
        if (fallen == null || fallen.recovered || !trajectoryKey.equals(fallen.trajectoryKey)) {
            return null;
        }
        if ((fallen.expected - t.orientedMean(index)) / fallen.unit >= settings.resolveZ()) {
            return null;
        }
        fallen.recovered = true;
        long recovered = episode.fallen.values().stream().filter(f -> f.recovered).count();
        if (2 * recovered <= episode.fallen.size()) {
            return null;
        }
        long step = t.recent.get(index).step;
        run.coDrop = null;
        run.lastCoDropEndStep = step;
        String why = String.format(Locale.ROOT, "The benchmarks of run %s that fell together at step %d recovered: "
                + "%d of %d are back within %.1f noise units of their expected scores by step %d.",
                t.run, episode.step, recovered, episode.fallen.size(), settings.resolveZ(), step);
        return Alert.firing(t.run, AlertType.eval_co_drop, Severity.ticket, episode.step)
                .id(episode.id)
                .value(recovered)
                .details(Map.of("recoveredAtStep", step, "benchmarksRecovered", recovered))
                .build()
                .resolvedAt(point.step(), point.timeMs(), why);
    }

    /** Whether every benchmark of the run has a result at {@code step} (or later: it is past this checkpoint). */
    private static boolean everyBenchmarkReported(EvalRunState run, long step) {
        Map<String, Boolean> reported = new TreeMap<>();
        run.trajectories.values().forEach(summary -> {
            if (summary.benchmark != null) {
                reported.merge(summary.benchmark, summary.newestStep >= step || summary.residualIndex(step) >= 0,
                        Boolean::logicalOr);
            }
        });
        return !reported.containsValue(false);
    }

    /** The newest loss-spike or divergence episode overlapping the training between the two checkpoints, or null. */
    static TrainingEpisode spikeBetween(List<TrainingEpisode> episodes, long previousStep, long step) {
        TrainingEpisode newest = null;
        for (TrainingEpisode e : episodes) {
            if (e.overlaps(previousStep, step) && (newest == null || e.onsetStep() > newest.onsetStep())) {
                newest = e;
            }
        }
        return newest;
    }

    private static String summary(String run, long step, long previousStep, Map<String, Double> fallenZ,
                                  Verdict verdict, TrainingEpisode spike) {
        List<String> named = new ArrayList<>();
        fallenZ.forEach((benchmark, z) -> {
            if (named.size() < 8) {
                named.add(String.format(Locale.ROOT, "%s %.1f", benchmark, z));
            }
        });
        String more = fallenZ.size() > named.size() ? ", +" + (fallenZ.size() - named.size()) + " more" : "";
        String since = previousStep == Long.MIN_VALUE ? "" : String.format(Locale.ROOT, " since step %d", previousStep);
        String cause = spike != null
                ? String.format(Locale.ROOT, " The run's loss had a %s episode at step %d (%s) in that stretch: the "
                        + "checkpoint was saved in or after it; judge the spike's recovery before this checkpoint.",
                        spike.type().replace('_', ' '), spike.onsetStep(), spike.id())
                : " runwatch saw no loss spike in that stretch: check the data mix, the learning-rate schedule and "
                        + "the optimizer state around it.";
        String rollback = previousStep == Long.MIN_VALUE ? "" : String.format(Locale.ROOT,
                " The checkpoint at step %d is the last one before the fall.", previousStep);
        return String.format(Locale.ROOT, "%d of %d benchmarks of run %s fell together at the checkpoint of step %d "
                        + "(noise units: %s%s; chance of that many by noise alone p = %.1g): a training event in the "
                        + "%d steps%s, not an evaluation problem.%s%s",
                verdict.fell(), verdict.benchmarks(), run, step, String.join(", ", named), more, verdict.pValue(),
                previousStep == Long.MIN_VALUE ? step : step - previousStep, since, cause, rollback);
    }

    private static double round(double z) {
        return Math.round(z * 100) / 100.0;
    }
}
