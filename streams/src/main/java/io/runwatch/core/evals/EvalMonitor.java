package io.runwatch.core.evals;

import io.runwatch.core.Alert;
import io.runwatch.core.EvalPoint;
import io.runwatch.core.evals.EvalRunState.TrajectorySummary;
import io.runwatch.core.evals.TrajectoryAnalysis.ChanceLevel;
import io.runwatch.core.evals.TrajectoryState.Checkpoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checkpoint-evaluation trajectories. The topology keeps one {@link EvalRunState} per run and one
 * {@link TrajectoryState} per run + {@link EvalPoint#trajectoryKey()}, and hands both with each point.
 * Stateless itself.
 *
 * <p>Each trajectory is ordered by step whatever the arrival order. A re-evaluation of a checkpoint
 * (same step and seed) <em>replaces</em> the earlier score: a checkpoint is re-run because the earlier run
 * was suspect (a harness fix, a truncated job), and replacing makes a re-delivered record harmless, where
 * averaging would count one measurement twice and understate the noise. Different seeds of a checkpoint are
 * averaged, their spread feeding the noise model.
 */
public final class EvalMonitor {
    /** Seeds averaged per checkpoint at most (keeps the state bounded). */
    static final int MAX_SEEDS = 16;

    private final EvalSettings settings;
    private final TrajectoryAnalysis analysis;
    private final RegressionDetector regressions;
    private final NoisyClassifier noisy;
    private final FlakyClassifier flaky;
    private final CoDropDetector coDrops;

    public EvalMonitor(EvalSettings settings) {
        this.settings = settings;
        this.analysis = new TrajectoryAnalysis(settings);
        this.regressions = new RegressionDetector(settings, analysis);
        this.noisy = new NoisyClassifier(settings, analysis);
        this.flaky = new FlakyClassifier(settings);
        this.coDrops = new CoDropDetector(settings);
    }

    public EvalSettings settings() {
        return settings;
    }

    public EvalOutcome onEval(EvalRunState run, TrajectoryState trajectory, EvalPoint point) {
        return onEval(run, trajectory, point, TrainingEpisodes.NONE);
    }

    /**
     * One evaluation result. {@code episodes} are the run's training-health episodes, read only when a co-drop
     * opens, to name the loss spike the benchmarks fell with.
     */
    public EvalOutcome onEval(EvalRunState run, TrajectoryState trajectory, EvalPoint point,
                              TrainingEpisodes episodes) {
        if (trajectory.run == null) {
            initialise(trajectory, point);
        }
        List<Alert> alerts = new ArrayList<>(2);
        if (!isScore(trajectory, point.value())) {
            return outcome(run, trajectory, alerts, EvalOutcome.NOT_A_SCORE); // the eval failed, not the model
        }
        if (point.step() <= trajectory.compressedThroughStep) {
            return outcome(run, trajectory, alerts, EvalOutcome.TOO_LATE); // its checkpoint was compressed
        }
        int changed = record(trajectory, point);
        if (changed < 0) {
            return outcome(run, trajectory, alerts);
        }
        TrajectorySummary summary = run.trajectories.computeIfAbsent(point.trajectoryKey(),
                key -> new TrajectorySummary());
        double changedZ = rememberDrop(trajectory, summary, changed);
        addIfPresent(alerts, noisy.update(trajectory, point));
        summary.metric = trajectory.metric;
        summary.swingRatio = noisy.swingRatio(trajectory);
        addIfPresent(alerts, noisy.unstable(run, trajectory, point, summary.swingRatio));
        if (trajectory.openRegressionId != null) {
            resolveIfRecovered(run, trajectory, point, alerts);
            openGrossAfterBack(run, trajectory, point, alerts, analysis.tailDof(trajectory, run));
        } else {
            double dof = analysis.tailDof(trajectory, run);
            RegressionDetector.Onset onset = trajectory.noisy ? null : regressions.findOnset(trajectory, changed, dof);
            boolean opened = false;
            if (onset != null && onset.hadSkill() && flaky.mayTicket(run, trajectory, point, onset.onsetStep())) {
                opened = open(run, trajectory, onset, point, alerts);
            }
            // Whatever the class, the swing or the checkpoint count says: a gross drop is a ticket.
            if (!opened) {
                RegressionDetector.Onset gross = regressions.findGrossDrop(trajectory, changed, dof);
                opened = gross != null && open(run, trajectory, gross, point, alerts);
            }
            if (!opened && onset != null && !onset.hadSkill() && isImbalancedClassification(trajectory)
                    && !noisy.wellAboveChance(trajectory, onset)) {
                addIfPresent(alerts, noisy.binaryFlip(trajectory, point, onset));
            }
        }
        // After the tests, so a drop found at this checkpoint keeps its neighbour's residual out of the tail.
        analysis.countTailResidual(trajectory, run, changed);
        addIfPresent(alerts, flaky.endIfCalm(run, trajectory, point));
        // Several benchmarks at one checkpoint: one run-level ticket (their own tickets still go on the record).
        addIfPresent(alerts, coDrops.resolveIfRecovered(run, trajectory, point, point.trajectoryKey(), changed));
        addIfPresent(alerts, coDrops.test(run, trajectory, point, changed, changedZ, episodes));
        summarise(trajectory, summary, point);
        return outcome(run, trajectory, alerts);
    }

    private boolean open(EvalRunState run, TrajectoryState t, RegressionDetector.Onset onset, EvalPoint point,
                         List<Alert> alerts) {
        alerts.add(regressions.open(run, t, onset, point));
        t.regressionBackStep = Long.MIN_VALUE;
        resolveIfRecovered(run, t, point, alerts);
        return true;
    }

    /**
     * Resolves the open episode if the score is back (for evals.regression.resolve.checkpoints in a row); a resolved
     * episode may make the trajectory flaky, judged by how long it took to come back the first time.
     */
    private void resolveIfRecovered(EvalRunState run, TrajectoryState t, EvalPoint point, List<Alert> alerts) {
        long onsetStep = t.regressionOnsetStep;
        int newest = t.recent.size() - 1;
        if (t.regressionBackStep == Long.MIN_VALUE && t.recent.get(newest).step > onsetStep
                && regressions.recoveryZ(t, newest) < settings.resolveZ()) {
            t.regressionBackStep = t.recent.get(newest).step;
        }
        Alert resolved = regressions.resolveIfRecovered(t, point);
        if (resolved != null) {
            alerts.add(resolved);
            addIfPresent(alerts, flaky.onEpisodeResolved(run, t, point, onsetStep));
        }
    }

    /**
     * An episode held open after it came back (evals.regression.resolve.checkpoints) absorbs an ordinary re-fall, the
     * same swing; a gross drop after its first checkpoint back is never held: the episode closes there and the gross
     * drop opens its own ticket.
     */
    private void openGrossAfterBack(EvalRunState run, TrajectoryState t, EvalPoint point, List<Alert> alerts,
                                    double dof) {
        if (t.openRegressionId == null || t.regressionBackStep == Long.MIN_VALUE) {
            return;
        }
        int back = t.indexOf(t.regressionBackStep);
        if (back < 0) {
            return; // the back checkpoint left the retained window: the episode is long past its hold
        }
        RegressionDetector.Onset gross = regressions.findGrossDrop(t, back + 1, dof);
        if (gross == null) {
            return;
        }
        long onsetStep = t.regressionOnsetStep;
        alerts.add(regressions.resolveAtBack(t, point, back));
        addIfPresent(alerts, flaky.onEpisodeResolved(run, t, point, onsetStep));
        open(run, t, gross, point, alerts);
    }

    private static void initialise(TrajectoryState t, EvalPoint p) {
        t.run = p.run();
        t.benchmark = p.benchmark();
        t.metric = p.metric();
        t.higherIsBetter = p.higherIsBetter();
        t.logScale = !p.higherIsBetter() && p.metric() != null && p.metric().toLowerCase().contains("ppl");
        t.items = p.n() == null ? 0 : p.n();
    }

    private static boolean isScore(TrajectoryState t, double value) {
        return Double.isFinite(value) && (!t.logScale || value > 0);
    }

    /**
     * Puts the score into its checkpoint (replacing the same seed's earlier score), keeps Kendall's sum
     * current, and compresses the oldest checkpoint when over capacity. Returns the checkpoint's index, or
     * −1 when it was itself the one compressed.
     */
    private int record(TrajectoryState t, EvalPoint p) {
        int index = t.indexOf(p.step());
        double before = Double.NaN;
        Checkpoint checkpoint;
        if (index >= 0) {
            checkpoint = t.recent.get(index);
            before = t.orientedMean(index);
        } else {
            index = -index - 1;
            checkpoint = new Checkpoint(p.step());
            t.recent.add(index, checkpoint);
            t.checkpointsSeen++;
        }
        String seed = p.seed() == null ? "" : p.seed();
        int seedIndex = checkpoint.seeds.indexOf(seed);
        if (seedIndex >= 0) {
            checkpoint.scores.set(seedIndex, p.value());
        } else if (checkpoint.seeds.size() < MAX_SEEDS) {
            checkpoint.seeds.add(seed);
            checkpoint.scores.add(p.value());
        }
        if (p.stderr() != null && p.stderr() > 0) {
            checkpoint.stderr = p.stderr();
        }
        if (p.step() <= t.earliestStep) {
            t.earliestStep = p.step();
            t.earliestScore = checkpoint.mean();
        }
        if (!Double.isNaN(before)) {
            t.kendallSum -= analysis.kendallContribution(t, index, before);
        }
        t.kendallSum += analysis.kendallContribution(t, index, t.orientedMean(index));
        while (t.recent.size() > settings.retainedCheckpoints()) {
            Checkpoint oldest = t.recent.remove(0);
            t.older.add(t.oriented(oldest.mean()));
            t.compressedThroughStep = oldest.step;
            index--;
        }
        return index;
    }

    /**
     * Notes in the run summary whether the changed checkpoint fell, for "which benchmarks moved together", and its
     * residual whatever the sign, for the co-drop test (none while the trajectory is classed noise: its residuals
     * say nothing about the model). Returns the residual z, NaN while untestable.
     */
    private double rememberDrop(TrajectoryState t, TrajectorySummary summary, int index) {
        RegressionDetector.Residual residual = regressions.residual(t, index);
        double z = residual == null ? Double.NaN : residual.z();
        long step = t.recent.get(index).step;
        if (z >= settings.movedZ()) {
            summary.recordDrop(step, z);
        } else {
            summary.clearDrop(step);
        }
        if (residual != null && !t.noisy) {
            summary.recordResidual(step, z, residual.expected(), residual.unit());
        } else {
            summary.recordResidual(step, Double.NaN, Double.NaN, Double.NaN);
            z = Double.NaN;
        }
        return z;
    }

    private static boolean isImbalancedClassification(TrajectoryState t) {
        ChanceLevel chance = TrajectoryAnalysis.chance(t);
        return chance != null && chance.imbalanced();
    }

    /** Refreshes the run-level summary: capability and normalised score of the newest level. */
    private void summarise(TrajectoryState t, TrajectorySummary summary, EvalPoint point) {
        summary.benchmark = t.benchmark;
        summary.newestStep = Math.max(summary.newestStep, point.step());
        summary.capability = BenchmarkCatalog.capabilityOf(t.benchmark, point.capability());
        if (!t.higherIsBetter || t.recent.isEmpty()) {
            return; // a loss has no chance level or ceiling to normalise against
        }
        int newest = t.recent.size() - 1;
        double level = analysis.level(t, Math.max(0, newest - settings.levelCheckpoints() + 1), newest);
        ChanceLevel chance = TrajectoryAnalysis.chance(t);
        double floor = chance == null ? 0 : chance.high(); // unknown benchmarks count as open-ended
        summary.normalisedScore = floor < 1 ? (level - floor) / (1 - floor) : Double.NaN;
    }

    private EvalOutcome outcome(EvalRunState run, TrajectoryState t, List<Alert> alerts) {
        return outcome(run, t, alerts, null);
    }

    private EvalOutcome outcome(EvalRunState run, TrajectoryState t, List<Alert> alerts, String unplacedReason) {
        alerts.replaceAll(alert -> withCapabilityGroup(run, alert));
        EvalGauges gauges = gauges(run, t);
        Map<String, Double> capabilities = capabilities(run);
        String weakest = null;
        for (Map.Entry<String, Double> e : capabilities.entrySet()) {
            if (weakest == null || e.getValue() < capabilities.get(weakest)) {
                weakest = e.getKey();
            }
        }
        return new EvalOutcome(List.copyOf(alerts), gauges, capabilities, weakest, unplacedReason);
    }

    private EvalGauges gauges(EvalRunState run, TrajectoryState t) {
        int size = t.recent.size();
        if (size == 0) {
            return new EvalGauges(t.run, t.benchmark, t.metric, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    settings.kendallWindow(), Double.NaN, Double.NaN, Double.NaN, Double.NaN, t.noisy || run.isFlaky(t.benchmark));
        }
        NoiseEstimate noise = analysis.noise(t, size, RegressionDetector.seedsAt(t, size - 1));
        return new EvalGauges(t.run, t.benchmark, t.metric, t.recent.get(size - 1).mean(),
                noise.isKnown() ? noise.total() : Double.NaN, t.kendallTauAll(),
                analysis.kendallTauWindow(t, settings.kendallWindow()), settings.kendallWindow(),
                regressions.pointZ(t, size - 1), noise.binomial(), noise.seed(), noise.empirical(),
                t.noisy || run.isFlaky(t.benchmark));
    }

    /** Capability → mean over its benchmarks of their (metric-averaged) normalised scores. */
    static Map<String, Double> capabilities(EvalRunState run) {
        Map<String, Map<String, double[]>> byCapability = new HashMap<>();
        run.trajectories.values().forEach(summary -> {
            if (summary.capability != null && !Double.isNaN(summary.normalisedScore)) {
                double[] sumAndCount = byCapability.computeIfAbsent(summary.capability, c -> new HashMap<>())
                        .computeIfAbsent(summary.benchmark, b -> new double[2]);
                sumAndCount[0] += summary.normalisedScore;
                sumAndCount[1]++;
            }
        });
        Map<String, Double> scores = new TreeMap<>();
        byCapability.forEach((capability, benchmarks) -> scores.put(capability, benchmarks.values().stream()
                .mapToDouble(sumAndCount -> sumAndCount[0] / sumAndCount[1]).average().orElse(Double.NaN)));
        return Collections.unmodifiableMap(scores);
    }

    /**
     * An alert about one benchmark carries the benchmark's capability (knowledge, code, ...) as its {@code group}, so
     * Alertmanager can route or silence a family of benchmarks as well as one; run-level alerts carry none.
     */
    private static Alert withCapabilityGroup(EvalRunState run, Alert alert) {
        if (alert.benchmark() == null || alert.group() != null) {
            return alert;
        }
        String capability = null;
        for (TrajectorySummary summary : run.trajectories.values()) {
            if (alert.benchmark().equals(summary.benchmark) && summary.capability != null) {
                capability = summary.capability;
                break;
            }
        }
        return alert.withGroup(capability != null ? capability : BenchmarkCatalog.capabilityOf(alert.benchmark(), null));
    }

    private static void addIfPresent(List<Alert> alerts, Alert alert) {
        if (alert != null) {
            alerts.add(alert);
        }
    }
}
