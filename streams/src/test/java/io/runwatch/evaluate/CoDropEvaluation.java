package io.runwatch.evaluate;

import io.runwatch.config.Settings;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.EvalPoint;
import io.runwatch.core.RunInput;
import io.runwatch.core.evals.EvalMonitor;
import io.runwatch.core.evals.EvalRunState;
import io.runwatch.core.evals.TrajectoryState;
import io.runwatch.evaluate.SyntheticCoDropSuite.Family;
import io.runwatch.evaluate.SyntheticCoDropSuite.LabelledRun;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * eval_co_drop measured: on {@link SyntheticCoDropSuite} over seeds (found at the event's checkpoint, false
 * co-drops, benchmarks named, and how many per-benchmark tickets the one co-drop stands for), and on the real
 * tables of {@code ../shared/data/evals} when present (co-drops per run, each listed), pure monitors with the
 * production settings. Run from the repository root:
 * {@code mvn -B -q -Pevaluate -pl streams test-compile exec:java -Devaluate.main=io.runwatch.evaluate.CoDropEvaluation
 * -Dexec.args="--seeds 8"}.
 */
public final class CoDropEvaluation {
    static final int RUNS_PER_FAMILY = 10;

    private CoDropEvaluation() {
    }

    /** Counts of one family over all seeds. */
    static final class Tally {
        int runs;
        int found;            // a co-drop at the event's checkpoint
        int falseCoDrops;     // co-drops at any other checkpoint, or in a family without an event
        int fallen;
        int fallenNamed;
        int wobblersNamed;    // benchmarks named that did not fall (wobbled past one noise unit)
        int regressionTickets; // eval_regression firings with onset at the event's checkpoint
        int spikeless;         // runs whose co-drop fired (for the delay column)
        long heldCheckpoints;  // sum of (detected checkpoint − event checkpoint) over found co-drops
    }

    public static Map<Family, Tally> synthetic(Settings settings, int seeds) {
        Map<Family, Tally> tallies = new EnumMap<>(Family.class);
        for (Family family : Family.values()) {
            tallies.put(family, new Tally());
        }
        for (long seed = 1; seed <= seeds; seed++) {
            for (LabelledRun run : SyntheticCoDropSuite.generate(20_240_611L + seed, RUNS_PER_FAMILY)) {
                Tally tally = tallies.get(run.family());
                tally.runs++;
                List<Alert> alerts = replay(settings, run.points());
                for (Alert a : alerts) {
                    if (!a.isFiring()) {
                        continue;
                    }
                    if (a.type() == AlertType.eval_regression && a.step() == run.eventStep()) {
                        tally.regressionTickets++;
                    }
                    if (a.type() != AlertType.eval_co_drop) {
                        continue;
                    }
                    // The event lasts two checkpoints: a co-drop at either is the event.
                    if (run.family().coDrop && a.step() >= run.eventStep()
                            && a.step() <= run.eventStep() + SyntheticCoDropSuite.STEPS_PER_CHECKPOINT) {
                        tally.fallen += run.fallen().size();
                        tally.found++;
                        tally.heldCheckpoints += (a.detectedAtStep() - a.step()) / SyntheticCoDropSuite.STEPS_PER_CHECKPOINT;
                        @SuppressWarnings("unchecked")
                        List<String> named = (List<String>) a.details().get("benchmarks");
                        for (String b : named) {
                            if (run.fallen().contains(b)) {
                                tally.fallenNamed++;
                            } else {
                                tally.wobblersNamed++;
                            }
                        }
                    } else {
                        tally.falseCoDrops++;
                    }
                }
            }
        }
        return tallies;
    }

    private static List<Alert> replay(Settings settings, List<EvalPoint> points) {
        EvalMonitor monitor = new EvalMonitor(settings.evals());
        Map<String, EvalRunState> runs = new HashMap<>();
        Map<String, TrajectoryState> trajectories = new HashMap<>();
        List<Alert> alerts = new ArrayList<>();
        for (EvalPoint p : points) {
            alerts.addAll(monitor.onEval(runs.computeIfAbsent(p.run(), r -> new EvalRunState()),
                    trajectories.computeIfAbsent(p.run() + "/" + p.trajectoryKey(), k -> new TrajectoryState()), p)
                    .alerts());
        }
        return alerts;
    }

    public static Section syntheticSection(Map<Family, Tally> tallies, int seeds) {
        List<List<String>> rows = new ArrayList<>();
        tallies.forEach((family, t) -> rows.add(List.of(
                family.name(),
                family.coDrop ? "yes" : "no",
                String.valueOf(t.runs),
                family.coDrop ? String.format(Locale.ROOT, "%.3f (%d/%d)", t.found / (double) t.runs, t.found, t.runs)
                        : "—",
                String.valueOf(t.falseCoDrops),
                family.coDrop ? String.format(Locale.ROOT, "%d/%d (+%d wobbled)", t.fallenNamed, t.fallen,
                        t.wobblersNamed) : "—",
                family.coDrop && t.found > 0 ? String.format(Locale.ROOT, "%.2f", t.heldCheckpoints / (double) t.found)
                        : "—",
                String.format(Locale.ROOT, "%.2f", t.regressionTickets / (double) t.runs))));
        return new Section(String.format(Locale.ROOT, "eval_co_drop, synthetic (%d seeds × %d runs per family, 16 "
                        + "benchmarks, 60 checkpoints, Student-t(7) noise, event at checkpoint 41)", seeds,
                RUNS_PER_FAMILY),
                List.of("family", "co-drop expected", "runs", "found at the event", "co-drops elsewhere or unexpected",
                        "fallen benchmarks named", "checkpoints held before firing (mean)",
                        "eval_regression tickets at the event per run"),
                rows);
    }

    /** Co-drops on the real tables, per run: run → list of "step (n benchmarks: names)". */
    public static Map<String, List<String>> real(Settings settings, Path evalsDir) {
        List<EvalPoint> points = new ArrayList<>();
        for (RunInput input : EvalRealData.load(evalsDir)) {
            points.add(input.eval());
        }
        Map<String, List<String>> byRun = new TreeMap<>();
        for (Alert a : replay(settings, points)) {
            byRun.computeIfAbsent(a.run(), r -> new ArrayList<>());
            if (a.type() == AlertType.eval_co_drop && a.isFiring()) {
                @SuppressWarnings("unchecked")
                List<String> named = (List<String>) a.details().get("benchmarks");
                byRun.get(a.run()).add(String.format(Locale.ROOT, "step %d: %d of %s benchmarks (%s)", a.step(),
                        named.size(), a.details().get("benchmarksEvaluated"), String.join(", ",
                                named.subList(0, Math.min(6, named.size()))) + (named.size() > 6 ? ", …" : "")));
            }
        }
        return byRun;
    }

    public static void main(String[] args) {
        int seeds = 8;
        boolean withReal = true;
        Settings settings = Settings.defaults();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seeds" -> seeds = Integer.parseInt(args[++i]);
                case "--alpha" -> settings = settings.with(Settings.EVAL_CO_DROP_ALPHA, Double.parseDouble(args[++i]));
                case "--min" -> settings = settings.with(Settings.EVAL_CO_DROP_BENCHMARKS, Integer.parseInt(args[++i]));
                case "--no-real" -> withReal = false;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        System.out.println(syntheticSection(synthetic(settings, seeds), seeds).toMarkdown());
        Path shared = Evaluate.sharedData();
        if (!withReal) {
            return;
        }
        if (shared == null) {
            System.out.println("(no ../shared/data/evals: real tables skipped)");
            return;
        }
        Map<String, List<String>> real = real(settings, shared.resolve("data").resolve("evals"));
        int total = real.values().stream().mapToInt(List::size).sum();
        System.out.printf(Locale.ROOT, "%nReal tables: %d eval_co_drop tickets over %d runs%n", total, real.size());
        real.forEach((run, coDrops) -> coDrops.forEach(c -> System.out.println("- " + run + ": " + c)));
    }
}
