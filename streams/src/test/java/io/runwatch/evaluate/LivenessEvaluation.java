package io.runwatch.evaluate;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.config.Settings;
import io.runwatch.contract.Json;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertState;
import io.runwatch.core.AlertType;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunConfig;
import io.runwatch.core.RunEvent;
import io.runwatch.core.RunEventType;
import io.runwatch.core.RunInput;
import io.runwatch.core.Severity;
import io.runwatch.evaluate.SyntheticLivenessSuite.Incident;
import io.runwatch.evaluate.SyntheticLivenessSuite.Kind;
import io.runwatch.evaluate.SyntheticLivenessSuite.Scenario;
import io.runwatch.evaluate.SyntheticLivenessSuite.Silence;
import io.runwatch.evaluate.SyntheticLivenessSuite.Suite;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The liveness section of the evaluation (issue 6): stall, throughput_drop and restart_storm on the seeded
 * synthetic cluster of {@link SyntheticLivenessSuite}, next to the baseline "page when a run sent no record for
 * 10 minutes"; plus, when {@code ../shared} is present, false alarms on real runs replayed on their own step
 * timing. Run alone with {@code mvn -B -o -q -pl streams test -Dtest=LivenessEvaluationTest
 * -Dsurefire.failIfNoSpecifiedTests=false} (prints the table) or through the {@link #main} of this class, which
 * also sweeps seeds and takes setting overrides: {@code mvn -B -o -q -pl streams test-compile exec:java
 * -Dexec.mainClass=io.runwatch.evaluate.LivenessEvaluation -Dexec.classpathScope=test
 * -Dexec.args="--seeds=7 liveness.throughput.window.records=32"}.
 */
public final class LivenessEvaluation {
    static final long SEED = 20_240_607L;
    static final int RUNS_PER_KIND = 12;
    static final long TICK_MS = 5_000;
    static final long BASELINE_SILENCE_MS = 600_000;
    /** Real logs with cumulative train_time_s, replayed with record time = start + train time. */
    static final List<String> REAL_LOGS = List.of("mng_scaleup1B_87bd51fd.jsonl", "mng_muon_124M_eb5659d0.jsonl",
            "mng_pr95_hyp_attn_nan.jsonl");

    private LivenessEvaluation() {
    }

    /** Arguments: {@code --seeds=N} sweeps N seeds from {@link #SEED}; {@code key=value} overrides a setting. */
    public static void main(String[] args) {
        long started = System.nanoTime();
        int seeds = 0;
        Map<String, String> overrides = new TreeMap<>();
        for (String arg : args) {
            if (arg.startsWith("--seeds=")) {
                seeds = Integer.parseInt(arg.substring("--seeds=".length()));
            } else {
                String[] keyValue = arg.split("=", 2);
                overrides.put(keyValue[0], keyValue[1]);
            }
        }
        Detection detection = new MonitorDetection(Settings.load(new Properties(), Map.of(), overrides));
        Section section = seeds > 0 ? seedSweep(detection, seeds) : run(detection, Evaluate.sharedData());
        System.out.println(section.toMarkdown());
        System.out.printf(Locale.ROOT, "(%s; %.1f s)%n", overrides.isEmpty() ? "defaults" : overrides,
                (System.nanoTime() - started) / 1e9);
    }

    /** The synthetic suite scored for {@code detection} and for the 10-minute baseline. */
    record Scores(Suite suite, Score ours, Score baseline) {
    }

    static Scores score(Detection detection) {
        return score(detection, SEED);
    }

    static Scores score(Detection detection, long seed) {
        Suite suite = SyntheticLivenessSuite.generate(seed, RUNS_PER_KIND);
        return new Scores(suite, Score.of(suite, detection.detect(suite.inputs())),
                Score.of(suite, new SilenceBaseline().detect(suite.inputs())));
    }

    public static Section run(Detection detection, Path sharedDataOrNull) {
        Scores scores = score(detection);
        Suite suite = scores.suite();
        Score ours = scores.ours();
        Score baseline = scores.baseline();
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("stall: stops and hangs paged", ours.stallRecall(), baseline.stallRecall()));
        rows.add(List.of("stall: delay after the last record, median / p90 / max (s)",
                ours.stallDelays.summary(), baseline.stallDelays.summary()));
        rows.add(List.of("stall: paged within the run's own deadline + 1 tick", ours.withinDeadline(), "–"));
        rows.add(List.of("stall: false pages (no hang, no crash)", ours.falseStalls(), baseline.falseStalls()));
        rows.add(List.of("stall: pages while a crashed job was down (not false)",
                String.valueOf(ours.crashStalls), String.valueOf(baseline.crashStalls)));
        rows.add(List.of("restart_storm: crash loops paged (fast 5-in-30 min / slow without progress)",
                ours.stormRecall(), "–"));
        rows.add(List.of("restart_storm: delay after the loop met the rule, median / p90 / max (s)",
                ours.stormDelays.summary(), "–"));
        rows.add(List.of("restart_storm: false pages", ours.falseStorms(), "–"));
        rows.add(List.of("throughput_drop: slowdowns ticketed 10–20 % / 20–35 % / 35–50 %",
                ours.throughputRecall(), "–"));
        rows.add(List.of("throughput_drop: delay after the slowdown, median / p90 / max (s)",
                ours.throughputDelays.summary(), "–"));
        rows.add(List.of("throughput_drop: false tickets", ours.falseTickets(), "–"));
        if (sharedDataOrNull != null) {
            rows.add(realLogsRow(detection, sharedDataOrNull));
        }
        String title = String.format(Locale.ROOT, "Liveness: %d synthetic runs, %.0f run-hours, %d records "
                        + "(seed %d); baseline = page when a run sent no record for 10 min",
                suite.scenarios().size(), suite.runHours(), suite.inputs().size(), suite.seed());
        return new Section(title, List.of("check", "runwatch", "baseline"), rows);
    }

    /** One row per seed (and a pooled one): is a result a property of the detector or of one lucky seed? */
    static Section seedSweep(Detection detection, int seeds) {
        List<List<String>> rows = new ArrayList<>();
        Score pooled = new Score();
        for (long seed = SEED; seed < SEED + seeds; seed++) {
            Score ours = score(detection, seed).ours();
            rows.add(sweepRow(String.valueOf(seed), ours));
            pooled.add(ours);
        }
        rows.add(sweepRow("all", pooled));
        return new Section(String.format(Locale.ROOT, "Liveness over %d seeds (%d synthetic runs each)", seeds,
                RUNS_PER_KIND * (Kind.values().length + 1)),
                List.of("seed", "throughput_drop 10–20 % / 20–35 % / 35–50 %", "false tickets",
                        "ticket delay median / p90 / max (s)", "stalls paged", "false pages (stall / storm)",
                        "storms paged (fast / slow)"), rows);
    }

    private static List<String> sweepRow(String seed, Score score) {
        return List.of(seed, score.throughputRecall(), score.falseTickets(), score.throughputDelays.summary(),
                score.stallRecall(), score.falseStallCount() + " / " + score.falseStormCount(), score.stormRecall());
    }

    // ---- scoring ---------------------------------------------------------------------------------------

    /** Matches the firing alerts of each run against its ground truth. */
    static final class Score {
        int stallIncidents;
        int stallCaught;
        int stallWithinDeadline;
        final Delays stallDelays = new Delays();
        final Map<Kind, Integer> falseStallsByKind = new TreeMap<>();
        int crashStalls;
        final Map<Kind, int[]> stormCaught = new TreeMap<>(); // kind → {caught, total}
        final Delays stormDelays = new Delays();
        final Map<Kind, Integer> falseStormsByKind = new TreeMap<>();
        final int[][] throughputBuckets = new int[3][2]; // {caught, total} per magnitude bucket
        final Delays throughputDelays = new Delays();
        final Map<Kind, Integer> falseTicketsByKind = new TreeMap<>();

        static Score of(Suite suite, List<Alert> alerts) {
            // the simulation stops every run at SUITE_END: silence after it is not a fault
            Map<String, List<Alert>> byRun = alerts.stream()
                    .filter(a -> a.state() == AlertState.firing && a.timeMs() <= SyntheticLivenessSuite.SUITE_END)
                    .collect(Collectors.groupingBy(Alert::run));
            Score score = new Score();
            for (Scenario scenario : suite.scenarios()) {
                List<Alert> own = byRun.getOrDefault(scenario.run(), List.of());
                score.scoreStalls(scenario, ofType(own, AlertType.stall));
                score.scoreStorms(scenario, ofType(own, AlertType.restart_storm));
                score.scoreThroughput(scenario, ofType(own, AlertType.throughput_drop));
            }
            return score;
        }

        /** Adds another seed's counts to these. */
        void add(Score other) {
            stallIncidents += other.stallIncidents;
            stallCaught += other.stallCaught;
            stallWithinDeadline += other.stallWithinDeadline;
            stallDelays.values.addAll(other.stallDelays.values);
            other.falseStallsByKind.forEach((kind, n) -> falseStallsByKind.merge(kind, n, Integer::sum));
            crashStalls += other.crashStalls;
            other.stormCaught.forEach((kind, tally) -> {
                int[] sum = stormCaught.computeIfAbsent(kind, k -> new int[2]);
                sum[0] += tally[0];
                sum[1] += tally[1];
            });
            stormDelays.values.addAll(other.stormDelays.values);
            other.falseStormsByKind.forEach((kind, n) -> falseStormsByKind.merge(kind, n, Integer::sum));
            for (int bucket = 0; bucket < throughputBuckets.length; bucket++) {
                throughputBuckets[bucket][0] += other.throughputBuckets[bucket][0];
                throughputBuckets[bucket][1] += other.throughputBuckets[bucket][1];
            }
            throughputDelays.values.addAll(other.throughputDelays.values);
            other.falseTicketsByKind.forEach((kind, n) -> falseTicketsByKind.merge(kind, n, Integer::sum));
        }

        private void scoreStalls(Scenario scenario, List<Alert> stalls) {
            for (Incident incident : incidents(scenario, AlertType.stall)) {
                stallIncidents++;
                Silence silence = scenario.silences().stream().filter(s -> s.fromMs() == incident.onsetMs())
                        .findFirst().orElseThrow();
                Alert hit = stalls.stream().filter(a -> a.timeMs() > silence.fromMs() && a.timeMs() < silence.toMs())
                        .findFirst().orElse(null);
                if (hit != null) {
                    stallCaught++;
                    double delayS = (hit.timeMs() - incident.onsetMs()) / 1000.0;
                    stallDelays.add(delayS);
                    if (hit.threshold() != null && delayS <= hit.threshold() + TICK_MS / 1000.0) {
                        stallWithinDeadline++;
                    }
                }
            }
            for (Alert alert : stalls) {
                Silence during = scenario.silences().stream()
                        .filter(s -> alert.timeMs() > s.fromMs() && alert.timeMs() < s.toMs()).findFirst()
                        .orElse(null);
                if (during == null) {
                    falseStallsByKind.merge(scenario.kind(), 1, Integer::sum);
                } else if (!during.fault()) {
                    crashStalls++;
                }
            }
        }

        private void scoreStorms(Scenario scenario, List<Alert> storms) {
            List<Incident> incidents = incidents(scenario, AlertType.restart_storm);
            for (Incident incident : incidents) {
                int[] tally = stormCaught.computeIfAbsent(scenario.kind(), k -> new int[2]);
                tally[1]++;
                Alert hit = storms.stream().filter(a -> a.timeMs() >= incident.onsetMs() - 60_000).findFirst()
                        .orElse(null);
                if (hit != null) {
                    tally[0]++;
                    stormDelays.add((hit.timeMs() - incident.onsetMs()) / 1000.0);
                }
            }
            long unexplained = incidents.isEmpty() ? storms.size() : Math.max(0, storms.size() - incidents.size());
            if (unexplained > 0) {
                falseStormsByKind.merge(scenario.kind(), (int) unexplained, Integer::sum);
            }
        }

        private void scoreThroughput(Scenario scenario, List<Alert> drops) {
            List<Incident> incidents = incidents(scenario, AlertType.throughput_drop);
            int matched = 0;
            for (Incident incident : incidents) {
                int bucket = incident.magnitude() < 0.20 ? 0 : incident.magnitude() < 0.35 ? 1 : 2;
                throughputBuckets[bucket][1]++;
                Alert hit = drops.stream().filter(a -> a.timeMs() >= incident.onsetMs()).findFirst().orElse(null);
                if (hit != null) {
                    throughputBuckets[bucket][0]++;
                    throughputDelays.add((hit.timeMs() - incident.onsetMs()) / 1000.0);
                    matched++;
                }
            }
            if (drops.size() > matched) {
                falseTicketsByKind.merge(scenario.kind(), drops.size() - matched, Integer::sum);
            }
        }

        String stallRecall() {
            return stallCaught + "/" + stallIncidents;
        }

        String withinDeadline() {
            return stallWithinDeadline + "/" + stallCaught;
        }

        String falseStalls() {
            return withBreakdown(falseStallsByKind);
        }

        String stormRecall() {
            int[] fast = stormCaught.getOrDefault(Kind.restart_loop_fast, new int[2]);
            int[] slow = stormCaught.getOrDefault(Kind.restart_loop_slow, new int[2]);
            return fast[0] + "/" + fast[1] + " / " + slow[0] + "/" + slow[1];
        }

        String falseStorms() {
            return withBreakdown(falseStormsByKind);
        }

        String throughputRecall() {
            return java.util.Arrays.stream(throughputBuckets).map(b -> b[0] + "/" + b[1])
                    .collect(Collectors.joining(" / "));
        }

        String falseTickets() {
            return withBreakdown(falseTicketsByKind);
        }

        int falseStallCount() {
            return falseStallsByKind.values().stream().mapToInt(Integer::intValue).sum();
        }

        int falseStormCount() {
            return falseStormsByKind.values().stream().mapToInt(Integer::intValue).sum();
        }

        int falseTicketCount() {
            return falseTicketsByKind.values().stream().mapToInt(Integer::intValue).sum();
        }

        private static String withBreakdown(Map<Kind, Integer> byKind) {
            int total = byKind.values().stream().mapToInt(Integer::intValue).sum();
            if (total == 0) {
                return "0";
            }
            return total + " (" + byKind.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                    .collect(Collectors.joining(", ")) + ")";
        }

        private static List<Alert> ofType(List<Alert> alerts, AlertType type) {
            return alerts.stream().filter(a -> a.type() == type).sorted(Comparator.comparingLong(Alert::timeMs))
                    .toList();
        }

        private static List<Incident> incidents(Scenario scenario, AlertType type) {
            return scenario.incidents().stream().filter(i -> i.type() == type).toList();
        }
    }

    /** Detection delays in seconds. */
    static final class Delays {
        final List<Double> values = new ArrayList<>();

        void add(double seconds) {
            values.add(seconds);
        }

        double quantile(double q) {
            if (values.isEmpty()) {
                return Double.NaN;
            }
            List<Double> sorted = values.stream().sorted().toList();
            return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(q * sorted.size()) - 1));
        }

        String summary() {
            if (values.isEmpty()) {
                return "–";
            }
            return String.format(Locale.ROOT, "%.0f / %.0f / %.0f", quantile(0.5), quantile(0.9), quantile(1.0));
        }
    }

    // ---- the baseline ----------------------------------------------------------------------------------

    /**
     * "Page when no record for 10 minutes": the dashboard rule many teams start with. Ticked like the monitors
     * (every 5 s of record time); any record of the run resets it; an ended run is left alone.
     */
    static final class SilenceBaseline implements Detection {
        @Override
        public List<Alert> detect(List<RunInput> inputs) {
            Map<String, long[]> lastSeen = new HashMap<>(); // run → {last record ms, ended, open}
            List<Alert> out = new ArrayList<>();
            long nextTick = Long.MIN_VALUE;
            for (RunInput input : inputs) {
                long now = input.timeMs();
                nextTick = nextTick == Long.MIN_VALUE ? now + TICK_MS : nextTick;
                for (; nextTick <= now; nextTick += TICK_MS) {
                    for (Map.Entry<String, long[]> run : lastSeen.entrySet()) {
                        long[] seen = run.getValue();
                        if (seen[1] == 0 && seen[2] == 0 && nextTick - seen[0] > BASELINE_SILENCE_MS) {
                            seen[2] = 1;
                            out.add(Alert.firing(run.getKey(), AlertType.stall, Severity.page, 0)
                                    .detectedAt(0, nextTick).threshold(BASELINE_SILENCE_MS / 1000.0).build());
                        }
                    }
                }
                boolean ends = input.event() != null && input.event().type() == RunEventType.end;
                lastSeen.put(input.run(), new long[] {now, ends ? 1 : 0, 0});
            }
            return out;
        }
    }

    // ---- real logs -----------------------------------------------------------------------------------

    /** False alarms on real runs replayed on their recorded step timing (train_time_s); none of them hung. */
    static List<String> realLogsRow(Detection detection, Path shared) {
        List<RunInput> inputs = new ArrayList<>();
        int runs = 0;
        for (String file : REAL_LOGS) {
            Path path = shared.resolve("data").resolve("trainlogs").resolve(file);
            if (Files.isRegularFile(path)) {
                inputs.addAll(replay(path, SyntheticLivenessSuite.T0 + runs * 60_000L));
                runs++;
            }
        }
        inputs.sort(Comparator.comparingLong(RunInput::timeMs));
        List<Alert> alerts = detection.detect(inputs).stream().filter(a -> a.state() == AlertState.firing).toList();
        List<Alert> baselineAlerts = new SilenceBaseline().detect(inputs);
        long metrics = inputs.stream().filter(i -> i.metric() != null).count();
        return List.of(String.format(Locale.ROOT, "real runs (%d, %d step records, ../shared/data/trainlogs): "
                        + "stall / restart_storm / throughput_drop alerts", runs, metrics),
                count(alerts, AlertType.stall) + " / " + count(alerts, AlertType.restart_storm) + " / "
                        + count(alerts, AlertType.throughput_drop),
                count(baselineAlerts, AlertType.stall) + " / – / –");
    }

    private static long count(List<Alert> alerts, AlertType type) {
        return alerts.stream().filter(a -> a.type() == type).count();
    }

    private static List<RunInput> replay(Path path, long startMs) {
        List<RunInput> out = new ArrayList<>();
        String run = null;
        long lastStep = 0;
        long lastMs = startMs;
        double previousTrainTimeS = 0;
        double clockOffsetS = 0;
        try {
            for (String line : Files.readAllLines(path)) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node = Json.MAPPER.readTree(line);
                if (!node.hasNonNull("train_time_s")) {
                    continue;
                }
                if (run == null) {
                    run = node.get("run").asText();
                    out.add(RunInput.of(RunEvent.start(run, startMs, RunConfig.EMPTY)));
                }
                double trainTimeS = node.get("train_time_s").asDouble();
                if (trainTimeS < previousTrainTimeS) {
                    clockOffsetS += previousTrainTimeS; // modded-nanogpt restarts its timer after warm-up steps
                }
                previousTrainTimeS = trainTimeS;
                lastStep = node.get("step").asLong();
                lastMs = startMs + Math.round((clockOffsetS + trainTimeS) * 1000);
                out.add(RunInput.of(MetricPoint.ofLoss(run, lastStep, lastMs, node.get("loss").asDouble())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (run != null) {
            out.add(RunInput.of(RunEvent.end(run, lastStep, lastMs + 1_000, "completed")));
        }
        return out;
    }
}
