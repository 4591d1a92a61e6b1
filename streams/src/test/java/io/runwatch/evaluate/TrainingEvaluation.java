package io.runwatch.evaluate;

import io.runwatch.config.Settings;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.RunInput;
import io.runwatch.core.Severity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.DoubleFunction;
import java.util.function.Predicate;

/**
 * Evaluation section of the training-health detectors: runs a {@link Detection} and the two baselines a user
 * would write without runwatch over the labelled suite (the seeded {@link SyntheticTrainingSuite} plus, when
 * {@code ../shared} is present, the real logs labelled in {@code training/trainlog-labels.csv}) and prints, per
 * alert family, recall, false pages, false tickets, median detection delay in logged steps and, for
 * adam_precursor, how often and how far it fired ahead of the spike.
 *
 * <p>Run alone: {@code mvn -B -o -q -pl streams test -Dtest=TrainingEvaluationTest} prints the table (with
 * the real logs when {@code ../shared} is there), or {@link #main} with the test classpath and an optional
 * path to the shared directory.
 */
public final class TrainingEvaluation {
    static final List<AlertType> FAMILIES = List.of(AlertType.loss_spike, AlertType.divergence, AlertType.nonfinite,
            AlertType.grad_norm_spike, AlertType.adam_precursor, AlertType.run_rewound);
    /** Scored types: the families, and issue 17's, whose pages and tickets on these runs are all false. */
    private static final Set<AlertType> TRAINING_TYPES = java.util.EnumSet.of(AlertType.loss_spike,
            AlertType.divergence, AlertType.nonfinite, AlertType.grad_norm_spike, AlertType.adam_precursor,
            AlertType.run_rewound, AlertType.not_training, AlertType.loss_blowup, AlertType.skipped_steps);
    /** Detections this many logged steps before a label's onset still count (onsets are labelled by hand). */
    private static final long EARLY_TOLERANCE = 5;
    /** An alert this many logged steps after a label's end is still about that episode, not a false alarm. */
    private static final long LATE_TOLERANCE = 60;
    private static final int WARMUP_FOR_CLEAN_COUNT = 50;
    /** The calibrated baselines' budget, the issue's for runwatch: no false page; one false ticket per 10 clean runs. */
    private static final double TICKET_BUDGET_PER_10_CLEAN_RUNS = 1.0;
    /** Grids the calibrated thresholds are searched on, smallest first. */
    private static final double FACTOR_STEP = 0.1;
    private static final double MAX_FACTOR = 10;
    private static final double SIGMA_STEP = 0.5;
    private static final double MAX_SIGMAS = 100;
    static final String RUNNING_MIN = "baseline: page at 1.2 × running min";
    static final String EMA = "baseline: ticket at EMA + 4σ";
    /** Calibrated rows are named with the threshold found, e.g. "calibrated: page at 5.6 × running min". */
    static final String CALIBRATED = "calibrated: ";
    /** {@code -Devaluate.misses=true} lists runwatch's misses and false alerts (of every seed with {@code --seeds}). */
    private static final boolean PRINT_MISSES = Boolean.getBoolean("evaluate.misses");

    /** Seeds the widened suite is drawn with in the printed table and in its test. */
    static final int WIDENED_SEEDS = 8;

    private TrainingEvaluation() {
    }

    /** Per family and detector: what the table prints, and what the quality test asserts. */
    static final class Tally {
        int labelled;
        int detected;
        int falsePages;
        int falseTickets;
        final List<Double> delays = new ArrayList<>();
        /** Divergence only: delay to the first ticket or page on the episode (the spike it escalates from). */
        final List<Double> firstReportDelays = new ArrayList<>();
        /** False pages and tickets by kind of run ("real", "rewind", "spike", ...). */
        final Map<String, Integer> falseByKind = new TreeMap<>();
        /** Total only, synthetic: spikes near the minimum rise (also in the family's count), and those ticketed. */
        int nearMinimumRise;
        int nearMinimumRiseAlerted;
        /** Total only: one line per missed label and per false page or ticket, for {@code evaluate.misses}. */
        final List<String> cases = new ArrayList<>();
        int precursorCases;
        int ahead;
        final List<Double> leads = new ArrayList<>();

        double recall() {
            return labelled == 0 ? Double.NaN : detected / (double) labelled;
        }

        double medianDelay() {
            return median(delays);
        }
    }

    /** The scores of one detector over the suite. */
    record Score(String detector, Map<AlertType, Tally> families, Tally total, int cleanRuns, long records,
                 long millis) {
        double falseTicketsPer10CleanRuns() {
            return cleanRuns == 0 ? 0 : 10.0 * total.falseTickets / cleanRuns;
        }
    }

    /**
     * @param calibratedFactor smallest factor of the running-minimum rule without a false page (NaN: none found)
     * @param calibratedSigmas smallest number of sigmas of the EMA rule within the false-ticket budget (NaN: none)
     */
    record Result(List<Score> scores, int runs, int syntheticRuns, int realRuns, double calibratedFactor,
                  double calibratedSigmas, Map<String, Integer> factorForcedBy, Map<String, Integer> sigmasForcedBy) {
        /** The score of the first detector whose name starts with {@code prefix}. */
        Score of(String prefix) {
            return scores.stream().filter(s -> s.detector().startsWith(prefix)).findFirst().orElseThrow();
        }
    }

    public static Section run(Detection detection, Path sharedDataOrNull) {
        return format(evaluate(detection, sharedDataOrNull), detection.getClass().getSimpleName());
    }

    /**
     * Arguments: {@code key=value} overrides a setting (to try one while tuning, e.g.
     * {@code training.recovery.progress.steps=10}); {@code --seeds N} also prints runwatch's synthetic rows for
     * N generator seeds (the pinned one and the N − 1 after it), so that tuning does not fit one draw;
     * anything else is the path of the shared directory.
     */
    public static void main(String[] args) {
        Map<String, String> overrides = new LinkedHashMap<>();
        Path shared = Evaluate.sharedData();
        int seeds = 0;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String[] keyValue = arg.split("=", 2);
            if (arg.equals("--seeds")) {
                seeds = Integer.parseInt(args[++i]);
            } else if (keyValue.length == 2) {
                if (Settings.definitions().stream().noneMatch(d -> d.key().equals(keyValue[0]))) {
                    throw new IllegalArgumentException("unknown setting " + keyValue[0]);
                }
                overrides.put(keyValue[0], keyValue[1]);
            } else {
                shared = Path.of(arg);
            }
        }
        Settings settings = Settings.load(new Properties(), Map.of(), overrides);
        MonitorDetection detection = new MonitorDetection(settings);
        System.out.println(run(detection, shared).toMarkdown());
        if (seeds > 0) {
            System.out.println(acrossSeeds(detection, seeds).toMarkdown());
        }
        System.out.println(widenedSection(detection, Math.max(seeds, WIDENED_SEEDS)).toMarkdown());
    }

    /** runwatch's scores on the synthetic suite drawn with the pinned seed and the {@code seeds} − 1 after it. */
    static List<Score> scoresAcrossSeeds(Detection detection, int seeds) {
        List<Score> scores = new ArrayList<>();
        for (int i = 0; i < seeds; i++) {
            scores.add(score("runwatch", detection, SyntheticTrainingSuite.generate(SyntheticTrainingSuite.SEED + i),
                    false));
        }
        return scores;
    }

    /** runwatch on the synthetic suite drawn with {@code seeds} generator seeds: one row each, then the totals. */
    static Section acrossSeeds(Detection detection, int seeds) {
        List<List<String>> rows = new ArrayList<>();
        Tally all = new Tally();
        List<Double> spikeDelays = new ArrayList<>();
        List<Double> divergenceDelays = new ArrayList<>();
        int cleanRuns = 0;
        List<Score> scores = scoresAcrossSeeds(detection, seeds);
        for (int i = 0; i < seeds; i++) {
            long seed = SyntheticTrainingSuite.SEED + i;
            Score score = scores.get(i);
            Tally total = score.total();
            Tally spikes = score.families().get(AlertType.loss_spike);
            Tally divergence = score.families().get(AlertType.divergence);
            rows.add(seedRow(String.valueOf(seed), total, score.cleanRuns(), spikes.delays, divergence.delays,
                    missedByFamily(score), total.falseByKind.toString()));
            if (PRINT_MISSES) {
                total.cases.forEach(c -> System.out.println("seed " + seed + ": " + c));
            }
            all.labelled += total.labelled;
            all.detected += total.detected;
            all.falsePages += total.falsePages;
            all.falseTickets += total.falseTickets;
            all.nearMinimumRise += total.nearMinimumRise;
            all.nearMinimumRiseAlerted += total.nearMinimumRiseAlerted;
            spikeDelays.addAll(spikes.delays);
            divergenceDelays.addAll(divergence.delays);
            cleanRuns += score.cleanRuns();
        }
        rows.add(seedRow("all", all, cleanRuns, spikeDelays, divergenceDelays, "", ""));
        return new Section("Training health (runwatch) on " + seeds + " synthetic seeds",
                List.of("seed", "recall", "false pages", "false tickets (clean runs)", "median loss_spike delay",
                        "median divergence delay to the page", "missed by family", "false alerts by kind of run",
                        "of them, spikes near the minimum rise: ticketed"),
                rows, List.of());
    }

    /** Kinds of run in the widened suite, in table order; the old suite's rows come after them. */
    static final List<String> WIDENED_KINDS = List.of("slow-spike-linear", "slow-spike-exponential",
            "spike-then-plateau", "spike-then-climb", "spike-then-creep", "clean");

    /** One row group of the widened evaluation: runs of one kind over all seeds. */
    record KindScore(String suite, String kind, Tally loss, Tally divergence, Tally total, int cleanRuns) {
    }

    /**
     * runwatch on the widened suite ({@link SyntheticTrainingSuite#generateWidened}) and on the old synthetic
     * suite, each drawn with the pinned seed and the {@code seeds} − 1 after it, scored per kind of run.
     */
    static List<KindScore> widened(Detection detection, int seeds) {
        return widened(detection, seeds, true);
    }

    /** The same, with the old suite's row only when {@code withOldSuite}. */
    static List<KindScore> widened(Detection detection, int seeds, boolean withOldSuite) {
        Map<String, List<Score>> byGroup = new LinkedHashMap<>();
        for (int i = 0; i < seeds; i++) {
            long seed = SyntheticTrainingSuite.SEED + i;
            Map<String, List<TrainingLabelledRun>> groups = new LinkedHashMap<>();
            for (TrainingLabelledRun run : SyntheticTrainingSuite.generateWidened(seed)) {
                String kind = run.isClean() ? "clean" : run.kind();
                groups.computeIfAbsent("widened/" + kind, k -> new ArrayList<>()).add(run);
            }
            if (withOldSuite) {
                groups.put("old suite/all", SyntheticTrainingSuite.generate(seed));
            }
            groups.forEach((group, runs) -> byGroup.computeIfAbsent(group, g -> new ArrayList<>())
                    .add(score("runwatch", detection, runs, false)));
        }
        List<KindScore> out = new ArrayList<>();
        List<String> order = new ArrayList<>();
        WIDENED_KINDS.forEach(k -> order.add("widened/" + k));
        if (withOldSuite) {
            order.add("old suite/all");
        }
        for (String group : order) {
            List<Score> scores = byGroup.getOrDefault(group, List.of());
            Tally loss = new Tally();
            Tally divergence = new Tally();
            Tally total = new Tally();
            int clean = 0;
            for (Score score : scores) {
                add(loss, score.families().get(AlertType.loss_spike));
                add(divergence, score.families().get(AlertType.divergence));
                add(total, score.total());
                clean += score.cleanRuns();
            }
            String[] parts = group.split("/", 2);
            out.add(new KindScore(parts[0], parts[1], loss, divergence, total, clean));
        }
        return out;
    }

    private static void add(Tally into, Tally from) {
        into.labelled += from.labelled;
        into.detected += from.detected;
        into.falsePages += from.falsePages;
        into.falseTickets += from.falseTickets;
        into.delays.addAll(from.delays);
        into.firstReportDelays.addAll(from.firstReportDelays);
        from.falseByKind.forEach((k, v) -> into.falseByKind.merge(k, v, Integer::sum));
        into.cases.addAll(from.cases);
    }

    /** The widened suite's table: per kind of run, recall, false alerts and the delay distribution. */
    static Section widenedSection(Detection detection, int seeds) {
        List<KindScore> scores = widened(detection, seeds);
        List<List<String>> rows = new ArrayList<>();
        for (KindScore k : scores) {
            if (PRINT_MISSES) {
                k.total().cases.forEach(c -> System.out.println(k.suite() + " " + k.kind() + ": " + c));
            }
            boolean old = k.suite().equals("old suite");
            Tally labelled = k.divergence().labelled > 0 && k.loss().labelled == 0 ? k.divergence() : k.loss();
            String recall = old ? ratio(k.total().detected, k.total().labelled)
                    : labelled.labelled == 0 ? "—" : ratio(labelled.detected, labelled.labelled);
            List<Double> firstTicket = new ArrayList<>(k.loss().delays);
            firstTicket.addAll(k.divergence().firstReportDelays);
            rows.add(List.of(k.suite(), k.kind(), String.valueOf(old ? k.total().labelled : labelled.labelled),
                    recall, String.valueOf(k.total().falsePages),
                    k.cleanRuns() == 0 ? String.valueOf(k.total().falseTickets)
                            : String.format(Locale.ROOT, "%d (%.2f per 10 clean runs)", k.total().falseTickets,
                            10.0 * k.total().falseTickets / k.cleanRuns()),
                    distribution(firstTicket), distribution(k.divergence().delays)));
        }
        return new Section("Training health: spikes that take long to come back (widened suite, " + seeds
                + " seeds)", List.of("suite", "kind of run", "episodes", "recall", "false pages", "false tickets",
                "delay to the first ticket p50 / p90 / max (logged steps)",
                "delay to the divergence page p50 / p90 / max"), rows, List.of(
                "Widened suite: per seed 64 spikes that recover (rise 1–12 logged steps, hold 0–4, linear or "
                        + "exponential recovery over 20–300, +5 % to +200 %, logged every step or every 10), 48 "
                        + "divergences that first look like them (a partial fall to 30–70 % of the height, then a "
                        + "plateau or a climb; or a jump that stays and creeps up 0.05–0.3 % per logged step) and 8 "
                        + "clean runs; see SyntheticTrainingSuite#generateWidened for the "
                        + "sources of each shape. Old suite: SyntheticTrainingSuite#generate, all families, the "
                        + "same seeds.",
                "A page on a spike that recovers is a false page. Delays from the labelled onset (the first "
                        + "rising logged step); a divergence's first ticket is the loss_spike it escalates from."));
    }

    private static String distribution(List<Double> values) {
        if (values.isEmpty()) {
            return "—";
        }
        List<Double> sorted = values.stream().sorted().toList();
        return String.format(Locale.ROOT, "%s / %s / %s", number(median(sorted)), number(quantile(sorted, 0.9)),
                number(sorted.get(sorted.size() - 1)));
    }

    /** The q-quantile of sorted values (nearest rank). */
    static double quantile(List<Double> sorted, double q) {
        return sorted.get(Math.max(0, (int) Math.ceil(q * sorted.size()) - 1));
    }

    private static String missedByFamily(Score score) {
        Map<AlertType, Integer> missed = new TreeMap<>();
        score.families().forEach((family, tally) -> {
            if (tally.detected < tally.labelled) {
                missed.put(family, tally.labelled - tally.detected);
            }
        });
        return missed.isEmpty() ? "" : missed.toString();
    }

    private static List<String> seedRow(String seed, Tally total, int cleanRuns, List<Double> spikeDelays,
                                        List<Double> divergenceDelays, String missed, String falseByKind) {
        return List.of(seed, ratio(total.detected, total.labelled), String.valueOf(total.falsePages),
                total.falseTickets + " (" + cleanRuns + ")", String.format(Locale.ROOT, "%.1f", median(spikeDelays)),
                String.format(Locale.ROOT, "%.1f", median(divergenceDelays)), missed,
                "{}".equals(falseByKind) ? "" : falseByKind,
                total.nearMinimumRiseAlerted + "/" + total.nearMinimumRise);
    }

    static Result evaluate(Detection detection, Path sharedDataOrNull) {
        List<TrainingLabelledRun> suite = new ArrayList<>(SyntheticTrainingSuite.generate());
        int synthetic = suite.size();
        if (sharedDataOrNull != null) {
            suite.addAll(realRuns(sharedDataOrNull.resolve("data").resolve("trainlogs")));
        }
        List<Score> scores = new ArrayList<>(List.of(
                score("runwatch", detection, suite, false),
                score(RUNNING_MIN, TrainingBaselines.runningMinimum(TrainingBaselines.MIN_FACTOR), suite, true),
                score(EMA, TrainingBaselines.emaSigma(TrainingBaselines.EMA_SIGMAS), suite, true)));
        Calibrated factor = calibrate(TrainingBaselines.MIN_FACTOR, FACTOR_STEP, MAX_FACTOR,
                k -> score(CALIBRATED + "page at " + k + " × running min", TrainingBaselines.runningMinimum(k),
                        suite, true),
                s -> s.total().falsePages == 0);
        Calibrated sigmas = calibrate(TrainingBaselines.EMA_SIGMAS, SIGMA_STEP, MAX_SIGMAS,
                k -> score(CALIBRATED + "ticket at EMA + " + k + "σ", TrainingBaselines.emaSigma(k), suite, true),
                s -> s.falseTicketsPer10CleanRuns() <= TICKET_BUDGET_PER_10_CLEAN_RUNS);
        scores.add(factor.score());
        scores.add(sigmas.score());
        return new Result(scores, suite.size(), synthetic, suite.size() - synthetic, factor.threshold(),
                sigmas.threshold(), forcedBy(factor), forcedBy(sigmas));
    }

    private static Map<String, Integer> forcedBy(Calibrated calibrated) {
        return calibrated.below() == null ? Map.of() : calibrated.below().total().falseByKind;
    }

    /** @param below the score one grid step lower: the false alerts that forced the threshold up */
    private record Calibrated(double threshold, Score score, Score below) {
    }

    /**
     * Raises a baseline's threshold along a grid until it meets the false-alert budget: the same rule, at the
     * alert budget runwatch is held to. When no grid value meets it, the largest is scored and NaN returned.
     */
    private static Calibrated calibrate(double from, double step, double to, DoubleFunction<Score> scoreAt,
                                        Predicate<Score> withinBudget) {
        Score below = null;
        for (int i = 0; from + i * step <= to + 1e-9; i++) {
            double threshold = Math.round((from + i * step) * 100) / 100.0;
            Score score = scoreAt.apply(threshold);
            if (withinBudget.test(score)) {
                return new Calibrated(threshold, score, below);
            }
            below = score;
        }
        return new Calibrated(Double.NaN, below, below);
    }

    // ---- scoring -----------------------------------------------------------------------------------------

    private static Score score(String name, Detection detection, List<TrainingLabelledRun> suite,
                               boolean anyTypeMatches) {
        List<RunInput> all = new ArrayList<>();
        for (TrainingLabelledRun run : suite) {
            all.addAll(run.inputs());
        }
        all.sort(Comparator.comparingLong(RunInput::timeMs)); // stable: each run keeps its own order
        long started = System.nanoTime();
        List<Alert> alerts = detection.detect(all);
        long millis = (System.nanoTime() - started) / 1_000_000;
        Map<String, List<Alert>> byRun = new HashMap<>();
        for (Alert alert : alerts) {
            if (alert.isFiring() && TRAINING_TYPES.contains(alert.type())) {
                byRun.computeIfAbsent(alert.run(), r -> new ArrayList<>()).add(alert);
            }
        }
        Map<AlertType, Tally> families = new EnumMap<>(AlertType.class);
        FAMILIES.forEach(f -> families.put(f, new Tally()));
        Tally total = new Tally();
        int clean = 0;
        for (TrainingLabelledRun run : suite) {
            if (run.isClean() && run.metricRecords() > WARMUP_FOR_CLEAN_COUNT) {
                clean++;
            }
            List<Alert> runAlerts = byRun.getOrDefault(run.name(), List.of());
            for (TrainingLabel label : run.labels()) {
                boolean cannotReport = anyTypeMatches && label.family() == AlertType.run_rewound;
                if (label.scored() && !cannotReport) {
                    scoreLabel(run, label, runAlerts, anyTypeMatches, families.get(label.family()), total);
                }
                if (label.nearMinimumRise()) {
                    total.nearMinimumRise++;
                    if (firstDetection(run, label, runAlerts, anyTypeMatches) != null) {
                        total.nearMinimumRiseAlerted++;
                    }
                }
            }
            for (Alert alert : runAlerts) {
                if (alert.severity() == Severity.info || isExcused(run, alert, anyTypeMatches)) {
                    continue;
                }
                Tally family = families.get(alert.type());
                total.falseByKind.merge(run.kind(), 1, Integer::sum);
                total.cases.add(String.format(Locale.ROOT, "false %s %s on %s (%s; %s) at step %d, onset %d: %s",
                        alert.severity(), alert.type(), run.name(), run.kind(), run.shape(), alert.detectedAtStep(),
                        alert.step(), alert.summary()));
                if (alert.severity() == Severity.page) {
                    total.falsePages++;
                    if (family != null) {
                        family.falsePages++;
                    }
                } else {
                    total.falseTickets++;
                    if (family != null) {
                        family.falseTickets++;
                    }
                }
            }
        }
        return new Score(name, families, total, clean, all.size(), millis);
    }

    private static void scoreLabel(TrainingLabelledRun run, TrainingLabel label, List<Alert> alerts,
                                   boolean anyTypeMatches, Tally family, Tally total) {
        family.labelled++;
        total.labelled++;
        Alert first = firstDetection(run, label, alerts, anyTypeMatches);
        if (label.spikeStep() >= 0) {
            family.precursorCases++;
        }
        if (first == null) {
            total.cases.add(String.format(Locale.ROOT, "missed %s %d..%d on %s (%s; %s); alerts of the run: %s",
                    label.family(), label.onsetStep(), label.endStep(), run.name(), run.kind(), run.shape(),
                    alerts.stream().map(a -> a.type() + "/" + a.severity() + "@" + a.detectedAtStep()).toList()));
            return;
        }
        family.detected++;
        total.detected++;
        double delay = delay(run, label, first);
        family.delays.add(delay);
        total.delays.add(delay);
        if (label.family() == AlertType.divergence && !anyTypeMatches) {
            alerts.stream()
                    .filter(a -> matchesType(label, a, false) && a.severity().isAtLeast(Severity.ticket))
                    .filter(a -> a.detectedAtStep() >= label.onsetStep() - EARLY_TOLERANCE * run.interval())
                    .min(Comparator.comparingLong(Alert::detectedAtStep))
                    .ifPresent(a -> family.firstReportDelays.add(delay(run, label, a)));
        }
        if (label.spikeStep() >= 0) {
            double lead = (label.spikeStep() - first.detectedAtStep()) / (double) run.interval();
            family.leads.add(lead);
            if (lead > 0) {
                family.ahead++;
            }
        }
    }

    /** The first alert that reports the label: its type, severe enough, between the onset and the end. */
    private static Alert firstDetection(TrainingLabelledRun run, TrainingLabel label, List<Alert> alerts,
                                        boolean anyTypeMatches) {
        Severity needed = label.minSeverity() == Severity.info ? Severity.info : Severity.ticket;
        return alerts.stream()
                .filter(a -> (anyTypeMatches || a.type() == label.family()) && a.severity().isAtLeast(needed))
                .filter(a -> a.detectedAtStep() >= label.onsetStep() - EARLY_TOLERANCE * run.interval()
                        && a.detectedAtStep() <= label.endStep())
                .min(Comparator.comparingLong(Alert::detectedAtStep))
                .orElse(null);
    }

    private static double delay(TrainingLabelledRun run, TrainingLabel label, Alert alert) {
        return Math.max(0, alert.detectedAtStep() - label.onsetStep()) / (double) run.interval();
    }

    /** A ticket or page is excused by a label of a matching type, at least as severe, around the alert. */
    private static boolean isExcused(TrainingLabelledRun run, Alert alert, boolean anyTypeMatches) {
        for (TrainingLabel label : run.labels()) {
            boolean inWindow = alert.detectedAtStep() >= label.onsetStep() - EARLY_TOLERANCE * run.interval()
                    && alert.detectedAtStep() <= label.endStep() + LATE_TOLERANCE * run.interval();
            if (inWindow && matchesType(label, alert, anyTypeMatches)
                    && label.minSeverity().isAtLeast(alert.severity())) {
                return true;
            }
        }
        return false;
    }

    /**
     * A divergence begins as a spike, so a loss_spike ticket is a correct early report of one (not a false one);
     * a loss_blowup page on a divergence or a non-finite episode is the same page by another rule.
     */
    private static boolean matchesType(TrainingLabel label, Alert alert, boolean anyTypeMatches) {
        if (anyTypeMatches || alert.type() == label.family()) {
            return true;
        }
        // A loss 100x above its start (loss_blowup) is where a climbing divergence or a run about to go NaN ends up.
        return (label.family() == AlertType.divergence && alert.type() == AlertType.loss_spike)
                || ((label.family() == AlertType.divergence || label.family() == AlertType.nonfinite)
                && alert.type() == AlertType.loss_blowup);
    }

    // ---- the real logs -------------------------------------------------------------------------------------

    static List<TrainingLabelledRun> realRuns(Path trainlogs) {
        Map<String, List<TrainingLabel>> labels = realLabels();
        List<TrainingLabelledRun> runs = new ArrayList<>();
        List<Path> files;
        try (var listing = Files.list(trainlogs)) {
            files = listing.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Path file : files) {
            for (Map.Entry<String, List<RunInput>> run : TrainingLogs.read(file).entrySet()) {
                List<RunInput> inputs = run.getValue();
                if (inputs.isEmpty()) {
                    continue;
                }
                long interval = inputs.size() < 2 ? 1
                        : Math.max(1, inputs.get(1).metric().step() - inputs.get(0).metric().step());
                runs.add(new TrainingLabelledRun(run.getKey(), "real", interval, inputs,
                        labels.getOrDefault(run.getKey(), List.of())));
            }
        }
        return runs;
    }

    static Map<String, List<TrainingLabel>> realLabels() {
        Map<String, List<TrainingLabel>> labels = new LinkedHashMap<>();
        try (InputStream in = TrainingEvaluation.class.getResourceAsStream("/training/trainlog-labels.csv")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            for (String line : text.split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split(",", 8);
                labels.computeIfAbsent(f[1], r -> new ArrayList<>()).add(new TrainingLabel(AlertType.valueOf(f[2]),
                        Long.parseLong(f[3]), Long.parseLong(f[4]), Severity.valueOf(f[5]), -1,
                        Boolean.parseBoolean(f[6]), false));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return labels;
    }

    // ---- the table -------------------------------------------------------------------------------------------

    static Section format(Result result, String detectionPath) {
        List<List<String>> rows = new ArrayList<>();
        for (Score score : result.scores()) {
            boolean baseline = !score.detector().equals("runwatch");
            for (AlertType family : FAMILIES) {
                Tally t = score.families().get(family);
                String delay = number(t.medianDelay());
                if (!t.firstReportDelays.isEmpty()) {
                    delay += " to the page (" + number(median(t.firstReportDelays)) + " to the first ticket)";
                }
                rows.add(List.of(score.detector(), family.name(), String.valueOf(t.labelled),
                        ratio(t.detected, t.labelled), baseline ? "—" : String.valueOf(t.falsePages),
                        baseline ? "—" : String.valueOf(t.falseTickets), delay,
                        family == AlertType.adam_precursor ? precursor(t) : ""));
            }
            Tally t = score.total();
            rows.add(List.of("**" + score.detector() + "**", "**all**", String.valueOf(t.labelled),
                    ratio(t.detected, t.labelled), String.valueOf(t.falsePages),
                    String.format("%d (%.2f per 10 clean runs)", t.falseTickets, score.falseTicketsPer10CleanRuns()),
                    number(t.medianDelay()), ""));
        }
        Score runwatch = result.scores().get(0);
        List<String> notes = List.of(
                String.format("Suite: %d runs (%d synthetic, seed %d; %d real logs from ../shared/data/trainlogs), "
                                + "%d of them clean (no page or ticket expected), %d records.", result.runs(),
                        result.syntheticRuns(), SyntheticTrainingSuite.SEED, result.realRuns(), runwatch.cleanRuns(),
                        runwatch.records()),
                "Recall: share of labelled episodes reported by an alert of their type at ticket severity or more (info for run_rewound), "
                        + "between 5 logged steps before the onset and the episode's end. Baselines raise one kind "
                        + "of alert, which counts for any family (they cannot report a rewind).",
                "False page / ticket: a page or ticket that no label of matching type (a loss_spike ticket matches a "
                        + "divergence, which begins as a spike) and at least that severity explains (paging on a spike that recovers is a false page). Delay: logged steps from the "
                        + "labelled onset to the deciding record, median.",
                "Precursor ahead: cases where adam_precursor fired before the spike's onset, and the median "
                        + "lead in logged steps.",
                String.format("Calibrated baselines: the same rules with the threshold raised on a grid (×%.1f "
                                + "steps, %.1fσ steps) to the smallest value with no false page (k = %s) or at most "
                                + "%.0f false ticket per 10 clean runs (k = %s) on this suite. Their recall and "
                                + "delay are what the baselines give at runwatch's false-alert budget. One step "
                                + "lower, the false alerts came from runs of kind %s and %s.", FACTOR_STEP,
                        SIGMA_STEP, threshold(result.calibratedFactor(), MAX_FACTOR),
                        TICKET_BUDGET_PER_10_CLEAN_RUNS, threshold(result.calibratedSigmas(), MAX_SIGMAS),
                        result.factorForcedBy(), result.sigmasForcedBy()),
                String.format("runwatch processed the suite in %d ms (%.0f records/s through %s).",
                        runwatch.millis(), runwatch.records() * 1000.0 / Math.max(1, runwatch.millis()),
                        detectionPath));
        return new Section("Training health: loss spikes, divergence, precursors",
                List.of("detector", "family", "episodes", "recall", "false pages", "false tickets",
                        "median delay (logged steps)", "precursor ahead"), rows, notes);
    }

    private static String threshold(double value, double gridEnd) {
        return Double.isNaN(value) ? String.format("none up to %.1f", gridEnd) : String.format("%.2f", value);
    }

    private static String precursor(Tally t) {
        return String.format("%d/%d (median lead %s)", t.ahead, t.precursorCases, number(median(t.leads)));
    }

    private static String ratio(int part, int whole) {
        return whole == 0 ? "—" : String.format("%.2f (%d/%d)", part / (double) whole, part, whole);
    }

    private static String number(double value) {
        return Double.isNaN(value) ? "—" : String.format(Locale.ROOT, "%.1f", value);
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = values.stream().sorted().toList();
        int mid = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(mid) : (sorted.get(mid - 1) + sorted.get(mid)) / 2;
    }
}
