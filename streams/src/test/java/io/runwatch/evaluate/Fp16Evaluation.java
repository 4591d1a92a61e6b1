package io.runwatch.evaluate;

import io.runwatch.config.Settings;
import io.runwatch.core.Alert;
import io.runwatch.core.RunInput;
import io.runwatch.core.Severity;
import io.runwatch.evaluate.SyntheticFp16Suite.Expectation;
import io.runwatch.evaluate.SyntheticFp16Suite.Fp16Run;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Evaluation section of issue 17: fp16 runs must not page on routine skipped steps, runs that stop learning must
 * be noticed. Replays {@link SyntheticFp16Suite} through a {@link Detection} and prints, per scenario, the runs,
 * their pages and tickets, how many expected alerts came in time and their delays (optimizer and logged steps).
 * A page or ticket that is not the expected one (type and severity) is false.
 *
 * <p>Run alone: {@code -Devaluate.main=io.runwatch.evaluate.Fp16Evaluation}; {@code --seeds N} adds N draws.
 */
public final class Fp16Evaluation {
    private Fp16Evaluation() {
    }

    /** Per scenario: what happened. */
    static final class Tally {
        int runs;
        long records;
        int pages;
        int tickets;
        int falsePages;
        int falseTickets;
        int expected;
        int inTime;
        final List<Double> delaySteps = new ArrayList<>();
        final List<Double> delayLogged = new ArrayList<>();
        final List<String> cases = new ArrayList<>();
    }

    static Map<String, Tally> score(Detection detection, List<Fp16Run> suite) {
        List<RunInput> all = new ArrayList<>();
        suite.forEach(r -> all.addAll(r.inputs()));
        all.sort(Comparator.comparingLong(RunInput::timeMs));
        Map<String, List<Alert>> byRun = new HashMap<>();
        for (Alert alert : detection.detect(all)) {
            if (alert.isFiring() && alert.severity() != Severity.info) {
                byRun.computeIfAbsent(alert.run(), r -> new ArrayList<>()).add(alert);
            }
        }
        Map<String, Tally> tallies = new LinkedHashMap<>();
        for (Fp16Run run : suite) {
            Tally t = tallies.computeIfAbsent(run.scenario(), s -> new Tally());
            t.runs++;
            t.records += run.inputs().size();
            Expectation e = run.expected();
            Alert hit = null;
            for (Alert alert : byRun.getOrDefault(run.name(), List.of())) {
                if (alert.severity() == Severity.page) {
                    t.pages++;
                } else {
                    t.tickets++;
                }
                boolean expected = e.type() != null && alert.type() == e.type() && alert.severity() == e.severity()
                        && alert.detectedAtStep() >= e.onsetStep() - 10 * run.interval();
                if (expected && hit == null) {
                    hit = alert;
                } else if (!expected) {
                    if (alert.severity() == Severity.page) {
                        t.falsePages++;
                    } else {
                        t.falseTickets++;
                    }
                    t.cases.add(String.format(Locale.ROOT, "false %s %s on %s at step %d: %s", alert.severity(),
                            alert.type(), run.name(), alert.detectedAtStep(), alert.summary()));
                }
            }
            if (e.type() != null) {
                t.expected++;
                if (hit != null && hit.detectedAtStep() <= e.latestStep()) {
                    t.inTime++;
                    double steps = Math.max(0, hit.detectedAtStep() - e.onsetStep());
                    t.delaySteps.add(steps);
                    t.delayLogged.add(steps / run.interval());
                } else {
                    t.cases.add(String.format(Locale.ROOT, "missed %s %s on %s (onset %d, due by %d): %s",
                            e.severity(), e.type(), run.name(), e.onsetStep(), e.latestStep(),
                            hit == null ? "no such alert" : "at step " + hit.detectedAtStep()));
                }
            }
        }
        return tallies;
    }

    static Section run(Detection detection) {
        Map<String, Tally> tallies = score(detection, SyntheticFp16Suite.generate());
        List<List<String>> rows = new ArrayList<>();
        for (Map.Entry<String, Tally> e : tallies.entrySet()) {
            Tally t = e.getValue();
            rows.add(List.of(e.getKey(), String.valueOf(t.runs), String.valueOf(t.records),
                    t.pages + " / " + t.tickets, t.falsePages + " / " + t.falseTickets,
                    t.expected == 0 ? "—" : t.inTime + "/" + t.expected,
                    t.delaySteps.isEmpty() ? "—" : String.format(Locale.ROOT, "%.0f / %.0f",
                            TrainingEvaluation.median(t.delaySteps), TrainingEvaluation.median(t.delayLogged))));
            t.cases.forEach(c -> System.out.println("fp16: " + c));
        }
        return new Section("fp16 skipped steps and runs that stop learning (synthetic, seed " + SyntheticFp16Suite.SEED
                + ")", List.of("scenario", "runs", "records", "pages / tickets", "false pages / tickets",
                "expected alert in time", "median delay (optimizer / logged steps)"), rows,
                List.of("Expected: healthy runs nothing; scale collapse a not_training page within 100 optimizer "
                                + "steps; declared bf16 a nonfinite page at the first NaN gradient norm; frozen and "
                                + "zero loss a not_training page within 100 logged steps; NaN gradient norms while "
                                + "the loss keeps falling a not_training ticket (a page is false); a loss 5 decades "
                                + "up a loss_blowup page at once.",
                        "Any other page or ticket is false. Info notices (skipped_steps) are not counted."));
    }

    public static void main(String[] args) {
        int seeds = 0;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--seeds")) {
                seeds = Integer.parseInt(args[++i]);
            }
        }
        Detection detection = new TopologyDetection(Settings.defaults());
        System.out.println(run(detection).toMarkdown());
        for (int i = 1; i < seeds; i++) {
            Map<String, Tally> tallies = score(new MonitorDetection(Settings.defaults()),
                    SyntheticFp16Suite.generate(SyntheticFp16Suite.SEED + i));
            int falsePages = 0;
            int falseTickets = 0;
            int inTime = 0;
            int expected = 0;
            for (Tally t : tallies.values()) {
                falsePages += t.falsePages;
                falseTickets += t.falseTickets;
                inTime += t.inTime;
                expected += t.expected;
                t.cases.forEach(c -> System.out.println("fp16: " + c));
            }
            System.out.printf(Locale.ROOT, "seed %d: expected alerts in time %d/%d, false pages %d, false tickets %d%n",
                    SyntheticFp16Suite.SEED + i, inTime, expected, falsePages, falseTickets);
        }
    }
}
