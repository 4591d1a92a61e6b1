package io.runwatch.evaluate;

import io.runwatch.config.Settings;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.RunInput;
import io.runwatch.evaluate.SyntheticEvalSuite.Drop;
import io.runwatch.evaluate.SyntheticEvalSuite.Truth;
import io.runwatch.core.evals.EvalMonitor;
import io.runwatch.core.evals.EvalRunState;
import io.runwatch.core.evals.Significance;
import io.runwatch.core.evals.TrajectoryState;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where the eval alerts that are not found drops come from: firing eval_regression records of the widened
 * synthetic suite that match no injected drop, counted by trajectory kind and test, with the ones on smooth
 * trajectories listed (their z, threshold and noise parts); and the real runs' tickets by test and benchmark.
 * For tuning the noise model: {@code -Devaluate.main=io.runwatch.evaluate.EvalDiagnosis -Dexec.args="--seeds 4"}
 * ({@code --list} also lists every smooth-trajectory alert and the real gross tickets). {@code --tail-fit} prints
 * the real tables' share of neighbour residuals beyond 3 noise units per source (the tail model's prior);
 * {@code --label sustained_decline} (or another hindsight label) lists each such real trajectory's tickets under
 * the Gaussian and the configured model. {@code --tickets} diagnoses every real eval_regression ticket (by run, test,
 * hindsight label, classes, re-fires, duration, each split by independent-labeller support; {@code --list} each
 * ticket; {@code --set key=value} tries a setting), with the hindsight and independent-label figures.
 */
public final class EvalDiagnosis {
    private EvalDiagnosis() {
    }

    public static void main(String[] args) {
        List<String> argList = List.of(args);
        int seedsArg = argList.indexOf("--seeds");
        int seeds = seedsArg >= 0 ? Integer.parseInt(args[seedsArg + 1]) : 4;
        boolean list = argList.contains("--list");
        Settings settings = Settings.defaults();
        int labelArg = argList.indexOf("--label");
        if (labelArg >= 0) {
            labelled(args[labelArg + 1], settings);
            return;
        }
        if (argList.contains("--misses")) { // the missed synthetic drops of 5σ or more, by cause
            EvalMissDiagnosis.print(seeds, list, settings);
            return;
        }
        if (argList.contains("--tail-fit")) {
            tailFit(settings);
            return;
        }
        if (argList.contains("--tickets")) {
            tickets(withOverrides(settings, argList), list);
            return;
        }
        Detection detection = new MonitorDetection(settings);
        Map<String, Integer> falseByKindAndTest = new TreeMap<>();
        Map<String, Integer> foundByTest = new TreeMap<>();
        List<String> smoothLines = new ArrayList<>();
        for (int i = 0; i < seeds; i++) {
            SyntheticEvalSuite.Suite suite = SyntheticEvalSuite.generate(EvalEvaluation.SYNTHETIC_SEED + i,
                    EvalEvaluation.SYNTHETIC_RUNS, true);
            List<Alert> alerts = detection.detect(suite.inputs());
            for (Alert a : alerts) {
                if (!a.isFiring() || a.type() != AlertType.eval_regression) {
                    continue;
                }
                Truth truth = suite.truths().get(a.run() + "/" + a.subject());
                boolean matched = false;
                for (Drop drop : truth.drops()) {
                    matched |= a.step() >= drop.fromStep() - 3 * SyntheticEvalSuite.CHECKPOINT_INTERVAL
                            && a.step() <= drop.toStep();
                }
                String test = String.valueOf(a.details().get("test"));
                if (matched) {
                    foundByTest.merge(test, 1, Integer::sum);
                    continue;
                }
                String kind = truth.kind() + (truth.drops().isEmpty() ? "" : "+drops");
                falseByKindAndTest.merge(kind + " " + test, 1, Integer::sum);
                if (truth.drops().isEmpty() && !truth.stuckAtChance() && !truth.kind().equals("UNSTABLE")) {
                    smoothLines.add(String.format(Locale.ROOT, "%s %s step %d of %s: z %.2f thr %.2f noise %.4g "
                                    + "(bin %.4g seed %.4g emp %.4g) ref %.4f score %.4f",
                            a.run() + "/" + a.subject(), test, a.step(), a.details().get("checkpoints"),
                            num(a, "z"), num(a, "zThreshold"), num(a, "noise"), num(a, "noiseBinomial"),
                            num(a, "noiseSeed"), num(a, "noiseEmpirical"), num(a, "referenceScore"), num(a, "score")));
                }
            }
        }
        System.out.println("found drops by test: " + foundByTest);
        System.out.println("false alerts by trajectory kind and test:");
        falseByKindAndTest.forEach((k, v) -> System.out.println("  " + k + ": " + v));
        System.out.println("smooth-trajectory alerts: " + smoothLines.size());
        if (list) {
            smoothLines.forEach(l -> System.out.println("  " + l));
        }
        Path shared = Evaluate.sharedData();
        if (shared != null) {
            List<RunInput> real = EvalRealData.load(shared.resolve("data/evals"));
            Map<String, Integer> byTest = new TreeMap<>();
            Map<String, Integer> byBenchmark = new TreeMap<>();
            for (Alert a : detection.detect(real)) {
                if (a.isFiring() && a.type() == AlertType.eval_regression
                        && !a.run().endsWith(EvalRealData.MERGED_SEEDS_SUFFIX)) {
                    String test = String.valueOf(a.details().get("test"));
                    byTest.merge(test, 1, Integer::sum);
                    byBenchmark.merge(a.run() + "/" + a.subject() + " " + test, 1, Integer::sum);
                    if (list && (test.equals("large_drop") || test.equals("catastrophic"))) {
                        System.out.println("  real " + a.run() + "/" + a.subject() + " step " + a.step() + ": "
                                + a.summary());
                    }
                }
            }
            System.out.println("real tickets by test: " + byTest);
            System.out.println("real tickets by trajectory (2 or more):");
            byBenchmark.forEach((k, v) -> {
                if (v >= 2) {
                    System.out.println("  " + k + ": " + v);
                }
            });
        }
    }

    /** {@code --set key=value} (repeatable) on top of {@code settings}, for trying a setting on the real tickets. */
    static Settings withOverrides(Settings settings, List<String> args) {
        Map<String, String> overrides = new java.util.LinkedHashMap<>();
        for (int i = 0; i + 1 < args.size(); i++) {
            if (args.get(i).equals("--set")) {
                String[] kv = args.get(i + 1).split("=", 2);
                overrides.put(kv[0], kv[1]);
            }
        }
        return overrides.isEmpty() ? settings : Settings.load(new java.util.Properties(), Map.of(), overrides);
    }

    /**
     * Every real eval_regression ticket (one per episode id; the merged seed groups left out) by run, test,
     * hindsight label, the classes said before it, re-fires of its trajectory and the benchmark, each split by
     * whether an independent labeller (binomial, held-out half) labels a drop where it opened; {@code --list}
     * prints each ticket.
     */
    private static void tickets(Settings settings, boolean list) {
        Path shared = Evaluate.sharedData();
        if (shared == null) {
            System.out.println("../shared/data not present");
            return;
        }
        List<RunInput> real = EvalRealData.load(shared.resolve("data/evals"));
        List<Alert> alerts = new MonitorDetection(settings).detect(real);
        List<RealTickets.Ticket> tickets = RealTickets.of(real, alerts, EvalRealData.labels());
        if (list) {
            tickets.forEach(t -> System.out.println("  " + t.line()));
        }
        System.out.println(RealTickets.table("run", tickets, t -> t.alert().run()));
        System.out.println(RealTickets.table("test", tickets, RealTickets.Ticket::test));
        System.out.println(RealTickets.table("hindsight label of the trajectory", tickets,
                RealTickets.Ticket::hindsight));
        System.out.println(RealTickets.table("classes said before (trajectory, benchmark)", tickets,
                t -> t.classes().isEmpty() ? "none" : t.classes()));
        System.out.println(RealTickets.table("episode of its trajectory", tickets, RealTickets.Ticket::refire));
        System.out.println(RealTickets.table("test, episode", tickets, t -> t.test() + ", " + t.refire()));
        System.out.println(RealTickets.table("lasted (checkpoints)", tickets, t -> t.lasted() < 0 ? "open at end"
                : t.lasted() <= 1 ? "≤1" : t.lasted() <= 4 ? "2-4" : t.lasted() <= 10 ? "5-10" : ">10"));
        System.out.println(RealTickets.table("held-out / binomial swing", tickets, t -> Double.isNaN(t.swingRatio())
                ? "unknown" : t.swingRatio() >= 3 ? "≥3 (swinging)" : t.swingRatio() >= 1 ? "1-3" : "<1"));
        System.out.println(RealTickets.table("source", tickets, RealTickets.Ticket::source));
        System.out.println(RealTickets.table("co-drop checkpoint", tickets,
                t -> t.coDropCheckpoint() ? "at a co-drop" : "no"));
        Map<String, Integer> byTrajectory = new TreeMap<>();
        tickets.forEach(t -> byTrajectory.merge(t.trajectory(), 1, Integer::sum));
        System.out.println("\ntrajectories with 2 or more tickets:");
        byTrajectory.forEach((k, v) -> {
            if (v >= 2) {
                System.out.println("  " + k + ": " + v);
            }
        });
        System.out.printf(Locale.ROOT, "%d tickets, %d supported by a labeller, %d trajectories%n", tickets.size(),
                tickets.stream().filter(RealTickets.Ticket::supported).count(), byTrajectory.size());
        EvalEvaluation.RealScore hindsight = EvalEvaluation.scoreReal(EvalRealData.labels(), alerts);
        System.out.printf(Locale.ROOT, "hindsight: tickets per run %s, sustained declines %d/%d, at chance %d/%d, "
                        + "smooth %d/%d, transient %d/%d%n", hindsight.ticketsPerRun(),
                hindsight.byLabel().get("sustained_decline")[1], hindsight.byLabel().get("sustained_decline")[0],
                hindsight.byLabel().get("at_chance")[1], hindsight.byLabel().get("at_chance")[0],
                hindsight.byLabel().get("smooth_monotone")[1], hindsight.byLabel().get("smooth_monotone")[0],
                hindsight.byLabel().get("transient_drop")[1], hindsight.byLabel().get("transient_drop")[0]);
        IndependentLabelEvaluation.Score independent = IndependentLabelEvaluation.score(real,
                Map.of(IndependentLabelEvaluation.RUNWATCH, alerts));
        for (IndependentLabelEvaluation.Labelling l : IndependentLabelEvaluation.Labelling.values()) {
            IndependentLabelEvaluation.Tally t = independent.tally("all", l, IndependentLabelEvaluation.RUNWATCH);
            System.out.printf(Locale.ROOT, "independent %s: found %d/%d (%.2f), alerts matching no label %d%n", l,
                    t.foundCount(), t.labelCount(), (double) t.foundCount() / t.labelCount(), t.unmatched);
        }
    }

    /**
     * The prior of the tail-aware noise model: the real runs replayed through the monitor, each trajectory's
     * neighbour residuals beyond 3 noise units (as the detector counts them, after its 10th checkpoint) pooled
     * per source, and the dof on the grid whose share matches.
     */
    private static void tailFit(Settings settings) {
        Path shared = Evaluate.sharedData();
        if (shared == null) {
            System.out.println("../shared/data not present");
            return;
        }
        EvalMonitor monitor = new EvalMonitor(settings.evals());
        Map<String, EvalRunState> runs = new HashMap<>();
        Map<String, TrajectoryState> trajectories = new HashMap<>();
        for (RunInput input : EvalRealData.load(shared.resolve("data/evals"))) {
            if (input.eval() != null && !input.run().endsWith(EvalRealData.MERGED_SEEDS_SUFFIX)) {
                monitor.onEval(runs.computeIfAbsent(input.run(), r -> new EvalRunState()),
                        trajectories.computeIfAbsent(input.run() + "/" + input.eval().trajectoryKey(),
                                k -> new TrajectoryState()), input.eval());
            }
        }
        Map<String, long[]> bySource = new TreeMap<>();
        trajectories.forEach((key, t) -> {
            String source = key.substring(0, key.indexOf(key.startsWith("olmo2-ladder") ? "-1xC" : "_"));
            for (String group : List.of(source, "all")) {
                long[] counts = bySource.computeIfAbsent(group, g -> new long[3]);
                counts[0] += t.tailResiduals;
                counts[1] += t.tailResidualsBeyond3;
                counts[2]++;
            }
        });
        bySource.forEach((source, c) -> System.out.printf(Locale.ROOT,
                "%s: %d trajectories, %d residuals, %d beyond 3 noise units (%.2f %%): dof %.0f%n", source, c[2],
                c[0], c[1], 100.0 * c[1] / c[0], Significance.dofForShare((double) c[1] / c[0])));
    }

    /** The real trajectories with {@code label}: their eval_regression onsets, Gaussian model then tail-aware. */
    private static void labelled(String label, Settings settings) {
        List<RunInput> real = EvalRealData.load(Evaluate.sharedData().resolve("data/evals"));
        Map<String, Map<String, java.util.Set<String>>> labels = EvalRealData.labels();
        for (Settings s : List.of(settings.with(Settings.EVAL_TAIL_DOF, 0), settings)) {
            System.out.println("tail dof " + s.evals().tailDof() + ":");
            Map<String, List<String>> found = new TreeMap<>();
            for (Alert a : new MonitorDetection(s).detect(real)) {
                if (a.isFiring() && a.type() == AlertType.eval_regression
                        && labels.getOrDefault(a.run(), Map.of()).getOrDefault(label, java.util.Set.of())
                        .contains(a.subject())) {
                    found.computeIfAbsent(a.run() + "/" + a.subject(), k -> new ArrayList<>()).add(String.format(
                            Locale.ROOT, "%s@%d z %.2f thr %.2f of %s", a.details().get("test"), a.step(),
                            num(a, "z"), num(a, "zThreshold"), a.details().get("checkpoints")));
                }
            }
            labels.forEach((run, byLabel) -> byLabel.getOrDefault(label, java.util.Set.of()).forEach(subject ->
                    System.out.println("  " + run + "/" + subject + ": "
                            + found.getOrDefault(run + "/" + subject, List.of("MISSED")))));
        }
    }

    private static double num(Alert a, String key) {
        Object v = a.details().get(key);
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
