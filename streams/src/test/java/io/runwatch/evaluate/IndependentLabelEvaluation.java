package io.runwatch.evaluate;

import io.runwatch.config.Settings;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.EvalPoint;
import io.runwatch.core.RunInput;
import io.runwatch.evaluate.IndependentLabeller.Kind;
import io.runwatch.evaluate.IndependentLabeller.Label;
import io.runwatch.evaluate.IndependentLabeller.NoiseModel;
import io.runwatch.evaluate.IndependentLabeller.Trajectory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The real eval tables scored against the {@link IndependentLabeller}'s labels instead of the hindsight labels
 * that share the detector's noise model: per source (OLMo-2, BigScience, Pythia) and labeller (binomial,
 * held-out, and the drops both label), the recall of labelled drops and the eval_regression alerts that match
 * no label, for runwatch and the baseline. The OLMo-2 seed groups merged for the other evaluation are left out
 * (not runs anyone trained).
 */
public final class IndependentLabelEvaluation {
    /** A drop alert may name an onset this many checkpoints before the labelled drop (level tests look back). */
    static final int EARLY_CHECKPOINTS = 2;
    /** {@code -Devaluate.labels=true} prints every label and whether runwatch found it (for reading the data). */
    private static final boolean PRINT_LABELS = Boolean.getBoolean("evaluate.labels");
    /** A trajectory whose held-out spread is this many binomial errors swings beyond sampling error. */
    static final double SWINGING_RATIO = 3;
    static final String RUNWATCH = "runwatch";
    static final String BASELINE = "baseline";
    /** Sources in table order, by run-name prefix. */
    static final Map<String, String> SOURCES = new LinkedHashMap<>(Map.of());

    static {
        SOURCES.put("olmo2", "OLMo-2");
        SOURCES.put("bigscience", "BigScience");
        SOURCES.put("pythia", "Pythia");
    }

    /** The three label sets of the table: each noise model alone, and the drops both label. */
    enum Labelling { BINOMIAL, HELD_OUT, BOTH }

    /** Counts of one (source, labelling, detector) cell group. */
    static final class Tally {
        final Set<String> runs = new HashSet<>();
        int judged;
        int labelledTrajectories;
        final Map<Kind, Integer> labels = new EnumMap<>(Kind.class);
        final Map<Kind, Integer> found = new EnumMap<>(Kind.class);
        int unmatched;

        int labelCount() {
            return labels.values().stream().mapToInt(Integer::intValue).sum();
        }

        int foundCount() {
            return found.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    /** The whole score: tallies by source ("all" included) → labelling → detector name. */
    record Score(Map<String, Map<Labelling, Map<String, Tally>>> tallies, int alerts, int alertsWithinBinomial,
                 int alertsJudgedBinomially, List<String> biggestMissed, List<String> withinBinomialExamples,
                 List<Double> noiseRatios, int binomialLabelsOnSwinging) {
        Tally tally(String source, Labelling labelling, String detector) {
            return tallies.get(source).get(labelling).get(detector);
        }
    }

    private IndependentLabelEvaluation() {
    }

    /** This table alone, on the pure monitors (from the repository root, so that ../shared is found). */
    public static void main(String[] args) {
        Path shared = Evaluate.sharedData();
        if (shared == null) {
            System.out.println("../shared/data not found");
            return;
        }
        long started = System.nanoTime();
        List<RunInput> real = EvalRealData.load(shared.resolve("data/evals"));
        System.out.println(run(real, new MonitorDetection(Settings.defaults()).detect(real),
                new EvalBaselineDetection().detect(real)).toMarkdown());
        System.out.printf(Locale.ROOT, "(took %.1f s)%n", (System.nanoTime() - started) / 1e9);
    }

    /** The table for runwatch's and the baseline's alerts on {@code real}. */
    static Section run(List<RunInput> real, List<Alert> runwatch, List<Alert> baseline) {
        Map<String, List<Alert>> byDetector = new LinkedHashMap<>();
        byDetector.put(RUNWATCH, runwatch);
        byDetector.put(BASELINE, baseline);
        return section(score(real, byDetector), RUNWATCH, BASELINE);
    }

    /** Labels and scores; {@code alertsByDetector}: detector name → every alert it emitted on {@code real}. */
    static Score score(List<RunInput> real, Map<String, List<Alert>> alertsByDetector) {
        List<EvalPoint> points = real.stream().map(RunInput::eval).filter(Objects::nonNull)
                .filter(p -> !p.run().endsWith(EvalRealData.MERGED_SEEDS_SUFFIX)).toList();
        Map<String, Trajectory> trajectories = IndependentLabeller.trajectories(points);
        Map<String, Map<String, List<Long>>> onsets = new HashMap<>(); // detector → trajectory key → onset steps
        alertsByDetector.forEach((detector, alerts) -> {
            Map<String, List<Long>> byKey = new HashMap<>();
            for (Alert a : alerts) {
                if (a.isFiring() && a.type() == AlertType.eval_regression) {
                    byKey.computeIfAbsent(a.run() + "/" + a.subject(), k -> new ArrayList<>()).add(a.step());
                }
            }
            onsets.put(detector, byKey);
        });
        Map<String, Map<Labelling, Map<String, Tally>>> tallies = new LinkedHashMap<>();
        for (String source : sourceNames()) {
            Map<Labelling, Map<String, Tally>> byLabelling = new EnumMap<>(Labelling.class);
            for (Labelling l : Labelling.values()) {
                Map<String, Tally> byDetector = new LinkedHashMap<>();
                alertsByDetector.keySet().forEach(d -> byDetector.put(d, new Tally()));
                byLabelling.put(l, byDetector);
            }
            tallies.put(source, byLabelling);
        }
        String ours = alertsByDetector.keySet().iterator().next();
        int alerts = 0, withinBinomial = 0, judgedBinomially = 0;
        List<String> missed = new ArrayList<>();
        List<String> withinExamples = new ArrayList<>();
        List<double[]> missedOrder = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        int binomialLabelsOnSwinging = 0;
        for (var e : trajectories.entrySet()) {
            Trajectory t = e.getValue();
            String source = sourceOf(t.run());
            List<Label> binomial = IndependentLabeller.label(t, NoiseModel.BINOMIAL);
            List<Label> heldOut = IndependentLabeller.label(t, NoiseModel.HELD_OUT);
            Map<Labelling, List<Label>> sets = new EnumMap<>(Labelling.class);
            Map<Labelling, Boolean> judged = new EnumMap<>(Labelling.class);
            boolean byBinomial = IndependentLabeller.applies(t, NoiseModel.BINOMIAL);
            boolean byHeldOut = IndependentLabeller.applies(t, NoiseModel.HELD_OUT);
            sets.put(Labelling.BINOMIAL, binomial);
            judged.put(Labelling.BINOMIAL, byBinomial);
            sets.put(Labelling.HELD_OUT, heldOut);
            judged.put(Labelling.HELD_OUT, byHeldOut);
            double ratio = IndependentLabeller.heldOutOverBinomial(t);
            if (!Double.isNaN(ratio)) {
                ratios.add(ratio);
            }
            binomialLabelsOnSwinging += ratio >= SWINGING_RATIO ? binomial.size() : 0;
            if (PRINT_LABELS && ratio >= SWINGING_RATIO) {
                System.out.printf(Locale.ROOT, "swinging %s %s held-out/binomial %.1f, %d binomial labels%n", t.run(),
                        t.key(), ratio, binomial.size());
            }
            sets.put(Labelling.BOTH, binomial.stream().filter(b -> heldOut.stream().anyMatch(b::overlaps)).toList());
            judged.put(Labelling.BOTH, byBinomial && byHeldOut);
            for (var detector : onsets.entrySet()) {
                List<Integer> alertIndexes = detector.getValue().getOrDefault(e.getKey(), List.of()).stream()
                        .map(t::indexOf).toList();
                for (Labelling l : Labelling.values()) {
                    if (!judged.get(l)) {
                        continue;
                    }
                    for (String s : List.of(source, "all")) {
                        Tally tally = tallies.get(s).get(l).get(detector.getKey());
                        tally.runs.add(t.run());
                        tally.judged++;
                        tally.labelledTrajectories += sets.get(l).isEmpty() ? 0 : 1;
                        for (Label label : sets.get(l)) {
                            tally.labels.merge(label.kind(), 1, Integer::sum);
                            if (alertIndexes.stream().anyMatch(a -> matches(a, label))) {
                                tally.found.merge(label.kind(), 1, Integer::sum);
                            }
                        }
                        tally.unmatched += (int) alertIndexes.stream()
                                .filter(a -> sets.get(l).stream().noneMatch(label -> matches(a, label))).count();
                    }
                    if (PRINT_LABELS && l != Labelling.BOTH && detector.getKey().equals(ours)) {
                        for (Label label : sets.get(l)) {
                            System.out.printf(Locale.ROOT, "label %s %s %s %s %d-%d %.1f found=%b alerts=%s%n", l,
                                    t.run(), t.key(), label.kind(), label.fromStep(), label.toStep(), label.sigmas(),
                                    alertIndexes.stream().anyMatch(a -> matches(a, label)),
                                    detector.getValue().getOrDefault(e.getKey(), List.of()));
                        }
                    }
                    if (l == Labelling.BOTH && detector.getKey().equals(ours)) {
                        for (Label label : sets.get(l)) {
                            if (alertIndexes.stream().noneMatch(a -> matches(a, label))) {
                                missedOrder.add(new double[] {label.sigmas(), missed.size()});
                                missed.add(String.format(Locale.ROOT, "%s %s step %d–%d (%s, %.1f binomial σ)",
                                        t.run(), t.key(), label.fromStep(), label.toStep(),
                                        label.kind().name().toLowerCase(Locale.ROOT), label.sigmas()));
                            }
                        }
                    }
                }
                if (detector.getKey().equals(ours)) {
                    alerts += alertIndexes.size();
                    if (byBinomial) {
                        for (int a : alertIndexes) {
                            judgedBinomially++;
                            double z = binomialDropSigmas(t, a);
                            if (z < 2) {
                                withinBinomial++;
                                if (withinExamples.size() < 6) {
                                    withinExamples.add(String.format(Locale.ROOT, "%s %s step %d (%.1f σ)", t.run(),
                                            t.key(), t.steps()[a], z));
                                }
                            }
                        }
                    }
                }
            }
        }
        missedOrder.sort(Comparator.comparingDouble((double[] d) -> -d[0]));
        List<String> biggestMissed = missedOrder.stream().limit(8).map(d -> missed.get((int) d[1])).toList();
        ratios.sort(null);
        return new Score(tallies, alerts, withinBinomial, judgedBinomially, biggestMissed, withinExamples, ratios,
                binomialLabelsOnSwinging);
    }

    /** An alert at checkpoint {@code a} names {@code label} when its onset lies in it or just before. */
    static boolean matches(int a, Label label) {
        int early = label.kind() == Kind.DECLINE ? IndependentLabeller.DECLINE_WINDOW : EARLY_CHECKPOINTS;
        return a >= label.from() - early && a <= label.to();
    }

    /**
     * The largest drop, in binomial σ of the difference, of checkpoints {@code a}..{@code a + 2} below the mean
     * of the {@link IndependentLabeller#LEVEL_CHECKPOINTS} before {@code a}: how far an alert's drop is beyond
     * sampling error.
     */
    static double binomialDropSigmas(Trajectory t, int a) {
        if (a == 0) {
            return Double.NaN;
        }
        int from = Math.max(0, a - IndependentLabeller.LEVEL_CHECKPOINTS);
        double level = 0, variance = 0;
        for (int i = from; i < a; i++) {
            level += t.scores()[i] / (a - from);
            variance += t.binomialSigmas()[i] * t.binomialSigmas()[i] / ((double) (a - from) * (a - from));
        }
        double best = Double.NEGATIVE_INFINITY;
        for (int i = a; i < Math.min(t.size(), a + 3); i++) {
            double s = t.binomialSigmas()[i];
            best = Math.max(best, (level - t.scores()[i]) / Math.sqrt(s * s + variance));
        }
        return best;
    }

    static String sourceOf(String run) {
        return SOURCES.entrySet().stream().filter(s -> run.startsWith(s.getKey())).map(Map.Entry::getValue)
                .findFirst().orElse("other");
    }

    private static List<String> sourceNames() {
        List<String> names = new ArrayList<>(SOURCES.values());
        names.add("other");
        names.add("all");
        return names;
    }

    /** The table: one row per source and labelling, runwatch and the baseline side by side. */
    static Section section(Score score, String ours, String baseline) {
        List<List<String>> rows = new ArrayList<>();
        for (var source : score.tallies().entrySet()) {
            for (Labelling l : Labelling.values()) {
                Tally r = source.getValue().get(l).get(ours);
                Tally b = source.getValue().get(l).get(baseline);
                if (r.judged == 0) {
                    continue;
                }
                rows.add(List.of(source.getKey(), name(l), String.valueOf(r.runs.size()),
                        r.labelledTrajectories + "/" + r.judged,
                        r.labelCount() + " (" + r.labels.getOrDefault(Kind.SINGLE, 0) + " / "
                                + r.labels.getOrDefault(Kind.PERSISTENT, 0) + " / "
                                + r.labels.getOrDefault(Kind.DECLINE, 0) + ")",
                        recall(r), perKind(r), perRun(r), recall(b), perRun(b)));
            }
        }
        List<String> notes = new ArrayList<>();
        notes.add(String.format(Locale.ROOT, "Labels: a checkpoint ≥ %.0f σ below the mean of the %d before it "
                        + "(≥ %.0f σ above the no-skill ceiling), confirmed by the next checkpoint still ≥ %.0f σ "
                        + "below (persistent) or by its own size ≥ %.0f σ (single); a decline: a %d-checkpoint mean "
                        + "≥ %.0f σ below the best earlier one, the next window still ≥ %.0f σ below. Binomial σ = "
                        + "√(p(1−p)/n) (perplexity, loss, bpb not judged); held-out σ: the robust spread of the "
                        + "other half's checkpoints (even ↔ odd), trajectories of ≥ 20 checkpoints. An alert finds "
                        + "a label when its onset lies in it or ≤ %d checkpoints before (%d for a decline).",
                IndependentLabeller.DROP_SIGMAS, IndependentLabeller.LEVEL_CHECKPOINTS,
                IndependentLabeller.ABOVE_CHANCE_SIGMAS, IndependentLabeller.CONFIRM_SIGMAS,
                IndependentLabeller.ALONE_SIGMAS, IndependentLabeller.DECLINE_WINDOW, IndependentLabeller.DROP_SIGMAS,
                IndependentLabeller.CONFIRM_SIGMAS, EARLY_CHECKPOINTS, IndependentLabeller.DECLINE_WINDOW));
        notes.add(String.format(Locale.ROOT, "runwatch eval_regression alerts whose drop (onset and the 2 "
                        + "checkpoints after, against the 3 before) is under 2 binomial σ: %d of %d on trajectories "
                        + "with binomial error (%d alerts in all)%s", score.alertsWithinBinomial(),
                score.alertsJudgedBinomially(), score.alerts(),
                score.withinBinomialExamples().isEmpty() ? "." : ", e.g. "
                        + String.join("; ", score.withinBinomialExamples()) + "."));
        List<Double> r = score.noiseRatios();
        if (!r.isEmpty()) {
            int binomialLabels = score.tallies().get("all").get(Labelling.BINOMIAL).get(ours).labelCount();
            notes.add(String.format(Locale.ROOT, "Held-out σ over binomial σ, per trajectory judged by both (%d): "
                            + "median %.2f, quartiles %.2f / %.2f; %d trajectories below 0.7 (consecutive "
                            + "checkpoints scored on the same items agree more than independent samples), %d at "
                            + "≥ %.0f (swinging beyond sampling error), and %d of the %d binomial labels lie on "
                            + "those.", r.size(), quantile(r, 0.5), quantile(r, 0.25), quantile(r, 0.75),
                    r.stream().filter(x -> x < 0.7).count(), r.stream().filter(x -> x >= SWINGING_RATIO).count(),
                    SWINGING_RATIO, score.binomialLabelsOnSwinging(), binomialLabels));
        }
        if (!score.biggestMissed().isEmpty()) {
            notes.add("Largest drops both labellers label that runwatch misses: "
                    + String.join("; ", score.biggestMissed()) + ".");
        }
        return new Section("Real tables against independent labels (binomial error, held-out half)",
                List.of("source", "labels", "runs", "trajectories labelled / judged",
                        "labelled drops (single / persistent / decline)", "runwatch: found",
                        "runwatch: found single / persistent / decline", "runwatch: alerts matching no label (per run)",
                        "baseline: found", "baseline: alerts matching no label (per run)"),
                rows, notes);
    }

    private static double quantile(List<Double> sorted, double q) {
        return sorted.get((int) Math.round(q * (sorted.size() - 1)));
    }

    private static String name(Labelling l) {
        return switch (l) {
            case BINOMIAL -> "binomial";
            case HELD_OUT -> "held-out half";
            case BOTH -> "both";
        };
    }

    private static String recall(Tally t) {
        return t.labelCount() == 0 ? "—"
                : String.format(Locale.ROOT, "%.2f (%d/%d)", (double) t.foundCount() / t.labelCount(),
                t.foundCount(), t.labelCount());
    }

    private static String perKind(Tally t) {
        StringBuilder s = new StringBuilder();
        for (Kind k : Kind.values()) {
            s.append(s.isEmpty() ? "" : " / ").append(t.found.getOrDefault(k, 0)).append("/")
                    .append(t.labels.getOrDefault(k, 0));
        }
        return s.toString();
    }

    private static String perRun(Tally t) {
        return String.format(Locale.ROOT, "%d (%.1f)", t.unmatched, (double) t.unmatched / t.runs.size());
    }
}
