package io.runwatch.evaluate;

import io.runwatch.config.Settings;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.RunInput;
import io.runwatch.core.evals.DropProbe;
import io.runwatch.core.evals.EvalMonitor;
import io.runwatch.core.evals.EvalRunState;
import io.runwatch.core.evals.EvalSettings;
import io.runwatch.core.evals.TrajectoryState;
import io.runwatch.evaluate.SyntheticEvalSuite.Drop;
import io.runwatch.evaluate.SyntheticEvalSuite.Truth;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Why synthetic drops of 5 noise units or more are missed on the widened suite: each missed drop (single
 * checkpoint, and lasting two or more: "confirmed") is put under its first cause, from the trajectory's state
 * while the drop was being tested (class, open or just-closed episode, noise unit against the sampling error)
 * and from what each test saw of it once it and two checkpoints after it were in ({@link DropProbe}: its z
 * against each threshold, and the drop the noise actually left, in sampling errors). Run with
 * {@code -Devaluate.main=io.runwatch.evaluate.EvalDiagnosis -Dexec.args="--misses --seeds 8"} ({@code --list}
 * lists every miss).
 */
final class EvalMissDiagnosis {
    private static final long INTERVAL = SyntheticEvalSuite.CHECKPOINT_INTERVAL;

    private EvalMissDiagnosis() {
    }

    /** What one drop looked like to the monitor. */
    private static final class Watch {
        final Truth truth;
        final Drop drop;
        Map<String, Object> probe;
        boolean earlierEpisodeOpen;
        boolean afterEpisode;
        String episode = "";

        Watch(Truth truth, Drop drop) {
            this.truth = truth;
            this.drop = drop;
        }
    }

    static void print(int seeds, boolean list, Settings settings) {
        EvalSettings evals = settings.evals();
        Map<String, int[]> byCause = new TreeMap<>();
        Map<String, int[]> byKind = new TreeMap<>();
        Map<String, int[]> byIndex = new TreeMap<>();
        List<String> lines = new ArrayList<>();
        int[] totals = new int[4];
        for (int i = 0; i < seeds; i++) {
            SyntheticEvalSuite.Suite suite = SyntheticEvalSuite.generate(EvalEvaluation.SYNTHETIC_SEED + i,
                    EvalEvaluation.SYNTHETIC_RUNS, true);
            Map<String, List<Watch>> watched = new HashMap<>();
            suite.truths().values().forEach(truth -> truth.drops().forEach(drop -> {
                if (!drop.gross() && drop.noiseUnits() >= 5) {
                    watched.computeIfAbsent(truth.key(), k -> new ArrayList<>()).add(new Watch(truth, drop));
                }
            }));
            Map<String, List<Alert>> regressions = replay(suite, evals, watched);
            for (List<Watch> ws : watched.values()) {
                for (Watch w : ws) {
                    boolean confirmed = w.drop.length() > 1;
                    List<Alert> alerts = regressions.getOrDefault(w.truth.key(), List.of());
                    boolean hit = alerts.stream().anyMatch(a -> a.step() >= w.drop.fromStep() - 3 * INTERVAL
                            && a.step() <= w.drop.toStep());
                    totals[confirmed ? 2 : 0]++;
                    if (hit) {
                        totals[confirmed ? 3 : 1]++;
                        continue;
                    }
                    String cause = cause(w, alerts, evals);
                    int column = confirmed ? 1 : 0;
                    byCause.computeIfAbsent(cause, k -> new int[2])[column]++;
                    byKind.computeIfAbsent(w.truth.kind() + " " + w.truth.metric(), k -> new int[2])[column]++;
                    long index = w.drop.fromStep() / INTERVAL - 1;
                    String bucket = index < 20 ? "10-19" : index < 40 ? "20-39" : index < 80 ? "40-79" : "80+";
                    byIndex.computeIfAbsent(bucket + " (length " + w.drop.length() + ")", k -> new int[2])[column]++;
                    lines.add(String.format(Locale.ROOT, "seed %d %s %s checkpoints %d-%d %.0fσ: %s %s", i, w.truth.key(),
                            confirmed ? "confirmed" : "single", index, index + w.drop.length() - 1,
                            w.drop.noiseUnits(), cause + " " + w.episode, w.probe == null ? "(never in view)" : format(w.probe)));
                }
            }
        }
        System.out.printf(Locale.ROOT, "%d seeds: single ≥5σ found %d/%d, confirmed ≥5σ found %d/%d%n", seeds,
                totals[1], totals[0], totals[3], totals[2]);
        table("cause (first that applies)", byCause);
        table("template and metric", byKind);
        table("checkpoint index of the drop (drop length)", byIndex);
        if (list) {
            lines.forEach(l -> System.out.println("  " + l));
        }
    }

    private static void table(String title, Map<String, int[]> rows) {
        System.out.println();
        System.out.println("| " + title + " | missed single | missed confirmed |");
        System.out.println("|---|---|---|");
        rows.forEach((k, v) -> System.out.println("| " + k + " | " + v[0] + " | " + v[1] + " |"));
    }

    /** The eval monitor over the suite, in arrival order, watching the drops' trajectories as it goes. */
    private static Map<String, List<Alert>> replay(SyntheticEvalSuite.Suite suite, EvalSettings evals,
                                                   Map<String, List<Watch>> watched) {
        EvalMonitor monitor = new EvalMonitor(evals);
        DropProbe probe = new DropProbe(evals);
        Map<String, EvalRunState> runs = new HashMap<>();
        Map<String, TrajectoryState> trajectories = new HashMap<>();
        Map<String, List<Alert>> regressions = new HashMap<>();
        for (RunInput input : suite.inputs()) {
            if (input.eval() == null) {
                continue;
            }
            String key = input.run() + "/" + input.eval().trajectoryKey();
            EvalRunState run = runs.computeIfAbsent(input.run(), r -> new EvalRunState());
            TrajectoryState t = trajectories.computeIfAbsent(key, k -> new TrajectoryState());
            for (Alert a : monitor.onEval(run, t, input.eval()).alerts()) {
                if (a.isFiring() && a.type() == AlertType.eval_regression) {
                    regressions.computeIfAbsent(a.run() + "/" + a.subject(), k -> new ArrayList<>()).add(a);
                }
            }
            for (Watch w : watched.getOrDefault(key, List.of())) {
                long newest = t.recent.isEmpty() ? Long.MIN_VALUE : t.recent.get(t.recent.size() - 1).step;
                boolean testing = newest >= w.drop.fromStep() && newest <= w.drop.toStep() + 2 * INTERVAL;
                if (testing && t.openRegressionId != null
                        && t.regressionOnsetStep < w.drop.fromStep() - 3 * INTERVAL) {
                    w.earlierEpisodeOpen = true;
                    w.episode = String.format(Locale.ROOT, "open episode from step %d: reference %.4f unit %.4f %s, "
                            + "newest %.4f", t.regressionOnsetStep, t.regressionReference, t.regressionUnit,
                            t.regressionIsLevelDecline ? "level" : "point", t.orientedMean(t.recent.size() - 1));
                }
                if (w.probe == null || !Boolean.TRUE.equals(w.probe.get("complete"))) {
                    Map<String, Object> seen = probe.probe(t, run, w.drop.fromStep(), w.drop.toStep(), INTERVAL);
                    w.probe = seen != null ? seen : w.probe;
                    if (seen != null) {
                        w.afterEpisode = t.lastEpisodeEndStep >= w.drop.fromStep()
                                && t.regressionOnsetStep < w.drop.fromStep() - 3 * INTERVAL;
                    }
                }
            }
        }
        return regressions;
    }

    private static String cause(Watch w, List<Alert> alerts, EvalSettings evals) {
        Map<String, Object> p = w.probe;
        if (w.drop.fromStep() / INTERVAL - 1 < evals.minCheckpoints()) {
            return "before evals.regression.min.checkpoints";
        }
        if (p != null && Boolean.TRUE.equals(p.get("noisy"))) {
            return "class noisy (" + p.get("noisyReason") + ")";
        }
        if (p != null && Boolean.TRUE.equals(p.get("flaky"))) {
            return "benchmark flaky";
        }
        if (w.earlierEpisodeOpen) {
            return "an earlier episode still open";
        }
        if (w.afterEpisode) {
            return "an earlier episode resolved inside the drop";
        }
        boolean late = alerts.stream().anyMatch(a -> a.step() > w.drop.toStep()
                && a.step() <= w.drop.toStep() + 5 * INTERVAL);
        if (late) {
            return "alert with onset after the drop";
        }
        if (p == null) {
            return "never in view (not tested)";
        }
        double noise = num(p, "noise");
        double sampling = num(p, "sampling");
        if (noise > 1.3 * sampling) {
            return "noise unit inflated (> 1.3 × sampling)";
        }
        double realised = num(p, "realisedSampling");
        if (realised < 4) {
            return "noise cancelled it (realised < 4 sampling errors)";
        }
        return "under every threshold (" + (Boolean.TRUE.equals(p.get("trend")) ? "trend" : "flat") + " expectation)";
    }

    private static String format(Map<String, Object> p) {
        StringBuilder b = new StringBuilder();
        p.forEach((k, v) -> b.append(k).append('=').append(v instanceof Double d
                ? String.format(Locale.ROOT, "%.3g", d) : v).append(' '));
        return b.toString().trim();
    }

    private static double num(Map<String, Object> p, String key) {
        Object v = p.get(key);
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
