package io.runwatch.core.evals;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.EvalPoint;
import io.runwatch.core.Severity;
import io.runwatch.core.evals.EvalRunState.BenchmarkSwings;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * eval_noisy for a flaky benchmark: one whose drops keep coming back by themselves. Its swings are larger
 * than its noise model says (boolq moves with the prompt format: a heavier tail than the Gaussian the
 * thresholds assume), so every few dozen checkpoints it opens a ticket nobody can act on. After
 * {@code flakyEpisodes} eval_regression episodes of a benchmark (any of its metrics; one per checkpoint) in a
 * row each fell alone (fewer than {@value #CO_MOVING_BENCHMARKS} other benchmarks moved at their checkpoint)
 * and recovered within {@code flakyRecoveryCheckpoints}, the benchmark is classed flaky: one info record
 * says why, and from then on a drop it makes alone is not ticketed. A drop shared with
 * {@value #CO_MOVING_BENCHMARKS} or more other benchmarks (a training event) still is. After
 * {@code flakyCalmCheckpoints} checkpoints without an isolated drop the class ends (resolved), so a benchmark
 * whose format problem was fixed is watched again.
 */
final class FlakyClassifier {
    /** Other benchmarks falling at the same checkpoint that make a drop a training event, not a swing. */
    static final int CO_MOVING_BENCHMARKS = 2;

    private final EvalSettings settings;

    FlakyClassifier(EvalSettings settings) {
        this.settings = settings;
    }

    /** Counts a just-resolved episode; returns the eval_noisy record when it makes the benchmark flaky. */
    Alert onEpisodeResolved(EvalRunState run, TrajectoryState t, EvalPoint point, long onsetStep) {
        BenchmarkSwings swings = run.benchmarks.computeIfAbsent(t.benchmark, b -> new BenchmarkSwings());
        if (settings.flakyEpisodes() == 0 || swings.flaky || onsetStep <= swings.lastCountedOnsetStep) {
            return null;
        }
        if (RegressionDetector.otherBenchmarksMoved(run, point.trajectoryKey(), t.benchmark, onsetStep)
                >= CO_MOVING_BENCHMARKS) {
            return null; // a training event says nothing about this benchmark's own noise
        }
        swings.lastCountedOnsetStep = onsetStep;
        // Until its first checkpoint back: those that confirmed the recovery (resolve.checkpoints) are not the drop.
        if (checkpointsAfter(t, onsetStep, t.regressionBackStep) > settings.flakyRecoveryCheckpoints()) {
            swings.isolatedRecoveries = 0; // a drop that lasted: the kind worth a ticket
            return null;
        }
        swings.isolatedRecoveries++;
        swings.lastSwingCheckpoint = t.checkpointsSeen;
        if (swings.isolatedRecoveries < settings.flakyEpisodes()) {
            return null;
        }
        swings.flaky = true;
        String summary = String.format(Locale.ROOT,
                "%s of run %s is flaky: its swings exceed its noise model: %d isolated drops in a row, each "
                        + "recovered within %d checkpoints while fewer than %d other benchmarks fell. A drop of it "
                        + "alone is no longer ticketed; one shared with %d or more other benchmarks still is. "
                        + "Classed until it stays calm for %d checkpoints.",
                t.benchmark, t.run, swings.isolatedRecoveries, settings.flakyRecoveryCheckpoints(),
                CO_MOVING_BENCHMARKS, CO_MOVING_BENCHMARKS, settings.flakyCalmCheckpoints());
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("reason", NoisyClassifier.FLAKY);
        details.put("isolatedRecoveredDrops", swings.isolatedRecoveries);
        details.put("lastDropStep", onsetStep);
        details.put("lastDropMetric", t.metric);
        details.put("checkpoints", t.checkpointsSeen);
        Alert alert = Alert.firing(t.run, AlertType.eval_noisy, Severity.info, onsetStep)
                .benchmark(t.benchmark, null)
                .detectedAt(point.step(), point.timeMs())
                .summary(summary)
                .details(details)
                .build();
        swings.alertId = alert.id();
        swings.classedAtStep = onsetStep;
        return alert;
    }

    /**
     * Whether a drop of {@code t} starting at {@code onsetStep} may be ticketed: always, unless its benchmark
     * is flaky and fewer than {@value #CO_MOVING_BENCHMARKS} other benchmarks fell with it so far (their
     * results may still arrive: the drop is looked at again with the trajectory's next result). A solo drop
     * held back this way restarts the calm clock.
     */
    boolean mayTicket(EvalRunState run, TrajectoryState t, EvalPoint point, long onsetStep) {
        if (!run.isFlaky(t.benchmark)) {
            return true;
        }
        if (RegressionDetector.otherBenchmarksMoved(run, point.trajectoryKey(), t.benchmark, onsetStep)
                >= CO_MOVING_BENCHMARKS) {
            return true;
        }
        run.benchmarks.get(t.benchmark).lastSwingCheckpoint = t.checkpointsSeen;
        return false;
    }

    /** Ends the flaky class after a calm stretch; returns the resolved eval_noisy record, or null. */
    Alert endIfCalm(EvalRunState run, TrajectoryState t, EvalPoint point) {
        BenchmarkSwings swings = run.benchmarks.get(t.benchmark);
        if (swings == null || !swings.flaky
                || t.checkpointsSeen - swings.lastSwingCheckpoint < settings.flakyCalmCheckpoints()) {
            return null;
        }
        swings.flaky = false;
        swings.isolatedRecoveries = 0;
        String why = String.format(Locale.ROOT, "%s of run %s has been calm for %d checkpoints: drops of it alone "
                + "are ticketed again.", t.benchmark, t.run, settings.flakyCalmCheckpoints());
        Alert resolved = Alert.firing(t.run, AlertType.eval_noisy, Severity.info, swings.classedAtStep)
                .id(swings.alertId)
                .benchmark(t.benchmark, null)
                .details(Map.of("reason", NoisyClassifier.FLAKY, "calmCheckpoints", settings.flakyCalmCheckpoints()))
                .build()
                .resolvedAt(point.step(), point.timeMs(), why);
        swings.alertId = null;
        return resolved;
    }

    /** Retained checkpoints after {@code step} up to {@code throughStep}: how long an episode that started there lasted. */
    private static int checkpointsAfter(TrajectoryState t, long step, long throughStep) {
        if (t.recent.isEmpty() || t.recent.get(0).step > step) {
            return Integer.MAX_VALUE; // older than the retained window: it did not recover quickly
        }
        int after = 0;
        for (TrajectoryState.Checkpoint c : t.recent) {
            after += c.step > step && c.step <= throughStep ? 1 : 0;
        }
        return after;
    }
}
