package io.runwatch.evaluate;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.EvalPoint;
import io.runwatch.core.RunInput;
import io.runwatch.evaluate.IndependentLabeller.Label;
import io.runwatch.evaluate.IndependentLabeller.NoiseModel;
import io.runwatch.evaluate.IndependentLabeller.Trajectory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Every eval_regression ticket runwatch opens on the real tables (the merged seed groups left out), each with
 * what a reader needs to judge it: the test that fired, the trajectory's hindsight label, whether either
 * independent labeller ({@link IndependentLabeller}: binomial error, held-out half) labels a drop where it
 * opened, the classes said about its trajectory or benchmark before it (unstable, noisy, flaky), how long it
 * lasted and how soon after the trajectory's previous episode it opened. One ticket is one episode id: what
 * Alertmanager notifies once (a re-delivered firing record of the same id is not a second page).
 */
final class RealTickets {
    /** A previous episode of the trajectory that resolved this few checkpoints before the onset: the same swing again. */
    static final int REFIRE_CHECKPOINTS = 5;

    /** Support of a ticket by the independent labellers. */
    enum Support { BOTH, BINOMIAL_ONLY, HELD_OUT_ONLY, NONE, NOT_JUDGED }

    /**
     * One ticket. {@code gapCheckpoints}: checkpoints from the previous episode's resolution to this onset (−1 for
     * the trajectory's first); {@code lasted}: checkpoints from onset to resolution (−1 when still open at the end).
     */
    record Ticket(Alert alert, String source, String hindsight, boolean binomialJudged, boolean binomialMatch,
                  boolean heldOutJudged, boolean heldOutMatch, String classes, int episodeOfTrajectory,
                  int gapCheckpoints, int lasted, boolean coDropCheckpoint, double swingRatio, int index,
                  Label[] binomialLabels, Label[] heldOutLabels, boolean[] sole) {
        String test() {
            return String.valueOf(alert.details().get("test"));
        }

        String trajectory() {
            return alert.run() + "/" + alert.subject();
        }

        Support support() {
            if (!binomialJudged && !heldOutJudged) {
                return Support.NOT_JUDGED;
            }
            if (binomialMatch && heldOutMatch) {
                return Support.BOTH;
            }
            return binomialMatch ? Support.BINOMIAL_ONLY : heldOutMatch ? Support.HELD_OUT_ONLY : Support.NONE;
        }

        /** Whether some independent labeller labels a drop here. */
        boolean supported() {
            return binomialMatch || heldOutMatch;
        }

        String refire() {
            if (gapCheckpoints < 0) {
                return episodeOfTrajectory == 1 ? "first" : "after an open one";
            }
            return gapCheckpoints <= REFIRE_CHECKPOINTS ? "re-fire ≤" + REFIRE_CHECKPOINTS : "later episode";
        }

        String line() {
            return String.format(Locale.ROOT, "%s %s onset %d (detected %d) %s z %.1f/%.1f hindsight %s "
                            + "binomial %s held-out %s classes [%s] episode %d gap %d lasted %d swing %.1f%s",
                    alert.run(), alert.subject(), alert.step(), alert.detectedAtStep(), test(), num("z"),
                    num("zThreshold"), hindsight, !binomialJudged ? "-" : binomialMatch ? "yes" : "no",
                    !heldOutJudged ? "-" : heldOutMatch ? "yes" : "no", classes, episodeOfTrajectory,
                    gapCheckpoints, lasted, swingRatio, coDropCheckpoint ? " co-drop" : "")
                    + (sole[0] ? " SOLE-binomial" : "") + (sole[1] ? " SOLE-held-out" : "")
                    + (sole[2] ? " SOLE-hindsight" : "");
        }

        private double num(String key) {
            return alert.details().get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
        }
    }

    private RealTickets() {
    }

    /** The tickets of {@code alerts} (runwatch's alerts on {@code real}), in alert order. */
    static List<Ticket> of(List<RunInput> real, List<Alert> alerts, Map<String, Map<String, Set<String>>> labels) {
        List<EvalPoint> points = real.stream().map(RunInput::eval).filter(Objects::nonNull)
                .filter(p -> !p.run().endsWith(EvalRealData.MERGED_SEEDS_SUFFIX)).toList();
        Map<String, Trajectory> trajectories = IndependentLabeller.trajectories(points);
        Map<String, String> hindsight = new HashMap<>();
        labels.forEach((run, byLabel) -> byLabel.forEach((label, keys) ->
                keys.forEach(key -> hindsight.put(run + "/" + key, label))));
        Map<String, Long> resolvedAt = new HashMap<>();
        Map<String, List<Long>> coDropSteps = new HashMap<>();
        for (Alert a : alerts) {
            if (!a.isFiring() && a.type() == AlertType.eval_regression) {
                resolvedAt.putIfAbsent(a.id(), a.detectedAtStep());
            } else if (a.isFiring() && a.type() == AlertType.eval_co_drop) {
                coDropSteps.computeIfAbsent(a.run(), r -> new ArrayList<>()).add(a.step());
            }
        }
        Map<String, Label[][]> labelCache = new HashMap<>();
        Map<String, Integer> episodes = new HashMap<>();
        Map<String, Long> previousEnd = new HashMap<>();
        Map<String, List<String>> classes = new HashMap<>(); // trajectory or benchmark key → classes said so far
        Set<String> seen = new java.util.HashSet<>();
        List<Ticket> tickets = new ArrayList<>();
        for (Alert a : alerts) {
            if (a.run().endsWith(EvalRealData.MERGED_SEEDS_SUFFIX)) {
                continue;
            }
            if (a.type() == AlertType.eval_noisy) {
                String key = a.metric() == null ? a.run() + "/" + a.benchmark() + " (benchmark)"
                        : a.run() + "/" + a.subject();
                String reason = String.valueOf(a.details().get("reason"));
                List<String> said = classes.computeIfAbsent(key, k -> new ArrayList<>());
                if (a.isFiring()) {
                    said.add(reason);
                } else {
                    said.remove(reason);
                }
                continue;
            }
            if (!a.isFiring() || a.type() != AlertType.eval_regression || !seen.add(a.id())) {
                continue;
            }
            String key = a.run() + "/" + a.subject();
            Trajectory t = trajectories.get(key);
            Label[][] both = labelCache.computeIfAbsent(key, k -> t == null ? new Label[2][] : new Label[][] {
                    IndependentLabeller.applies(t, NoiseModel.BINOMIAL)
                            ? IndependentLabeller.label(t, NoiseModel.BINOMIAL).toArray(Label[]::new) : null,
                    IndependentLabeller.applies(t, NoiseModel.HELD_OUT)
                            ? IndependentLabeller.label(t, NoiseModel.HELD_OUT).toArray(Label[]::new) : null});
            int index = t == null ? -1 : t.indexOf(a.step());
            int episode = episodes.merge(key, 1, Integer::sum);
            Long end = previousEnd.get(key);
            int gap = end == null || t == null ? -1 : index - t.indexOf(end);
            Long resolved = resolvedAt.get(a.id());
            int lasted = resolved == null || t == null ? -1 : t.indexOf(resolved) - index;
            previousEnd.put(key, resolved == null ? Long.MAX_VALUE : resolved);
            List<String> said = new ArrayList<>(classes.getOrDefault(key, List.of()));
            said.addAll(classes.getOrDefault(a.run() + "/" + a.benchmark() + " (benchmark)", List.of()));
            double swing = t == null ? Double.NaN : IndependentLabeller.heldOutOverBinomial(t);
            tickets.add(new Ticket(a, IndependentLabelEvaluation.sourceOf(a.run()),
                    hindsight.getOrDefault(key, "unlabelled"), both[0] != null, matches(index, both[0]),
                    both[1] != null, matches(index, both[1]), String.join(",", said), episode, gap, lasted,
                    coDropSteps.getOrDefault(a.run(), List.of()).contains(a.step()), swing, index, both[0], both[1],
                    new boolean[3]));
        }
        // Whether a ticket is the only one finding some label: cutting it would cost recall.
        Map<String, List<Ticket>> byTrajectory = new HashMap<>();
        tickets.forEach(t -> byTrajectory.computeIfAbsent(t.trajectory(), k -> new ArrayList<>()).add(t));
        for (List<Ticket> same : byTrajectory.values()) {
            for (Ticket t : same) {
                for (int m = 0; m < 2; m++) {
                    Label[] labelsOf = m == 0 ? t.binomialLabels() : t.heldOutLabels();
                    for (Label label : labelsOf == null ? new Label[0] : labelsOf) {
                        if (IndependentLabelEvaluation.matches(t.index(), label) && same.stream().filter(o ->
                                IndependentLabelEvaluation.matches(o.index(), label)).count() == 1) {
                            t.sole()[m] = true;
                        }
                    }
                }
                t.sole()[2] = same.size() == 1 && t.hindsight().equals("sustained_decline");
            }
        }
        return tickets;
    }

    private static boolean matches(int index, Label[] labels) {
        if (labels == null || index < 0) {
            return false;
        }
        for (Label label : labels) {
            if (IndependentLabelEvaluation.matches(index, label)) {
                return true;
            }
        }
        return false;
    }

    /** Count of tickets by {@code by}, each split into supported / not by a labeller, largest first. */
    static String table(String title, List<Ticket> tickets, Function<Ticket, String> by) {
        Map<String, int[]> counts = new TreeMap<>();
        for (Ticket t : tickets) {
            int[] c = counts.computeIfAbsent(by.apply(t), k -> new int[Support.values().length + 1]);
            c[0]++;
            c[1 + t.support().ordinal()]++;
        }
        StringBuilder out = new StringBuilder("\n| " + title + " | tickets | both | binomial only | held-out only "
                + "| neither labeller | not judged |\n|---|---|---|---|---|---|---|\n");
        Map<String, int[]> sorted = new LinkedHashMap<>();
        counts.entrySet().stream().sorted((x, y) -> Integer.compare(y.getValue()[0], x.getValue()[0]))
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        int[] total = new int[Support.values().length + 1];
        sorted.forEach((k, c) -> {
            out.append("| ").append(k);
            for (int i = 0; i < c.length; i++) {
                out.append(" | ").append(c[i]);
                total[i] += c[i];
            }
            out.append(" |\n");
        });
        out.append("| **all**");
        for (int c : total) {
            out.append(" | ").append(c);
        }
        return out.append(" |").toString();
    }
}
