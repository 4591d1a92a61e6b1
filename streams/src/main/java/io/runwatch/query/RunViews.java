package io.runwatch.query;

import io.runwatch.core.evals.EvalRunState;
import io.runwatch.core.evals.TrajectoryState;
import io.runwatch.core.liveness.LivenessGauges;
import io.runwatch.core.liveness.LivenessState;
import io.runwatch.core.training.TrainingHealthMonitor;
import io.runwatch.core.training.TrainingState;
import io.runwatch.query.QueryViews.Episode;
import io.runwatch.query.QueryViews.Evaluation;
import io.runwatch.query.QueryViews.Liveness;
import io.runwatch.query.QueryViews.Training;
import io.runwatch.core.alerts.AlertBook;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Turns the stored state of a run into its views ({@link QueryViews}). The only code of the query package that
 * reads state fields: when a state class changes, this is what follows it.
 */
final class RunViews {
    private RunViews() {
    }

    static Training training(TrainingState state) {
        if (state == null) {
            return null;
        }
        TrainingState.Baseline baseline = state.baseline;
        boolean learned = baseline != null && baseline.loss != null && baseline.loss.samples > 0;
        return new Training(step(state.firstStep), step(state.lastStep), step(state.lastHealthyStep),
                step(state.lastCheckpointStep),
                // the baseline lives in log space: its level is the typical loss, its sigma a relative spread
                learned ? QueryViews.finite(Math.exp(baseline.loss.level)) : null,
                learned && baseline.loss.samples > 1 ? QueryViews.finite(baseline.loss.sigma()) : null,
                baseline == null ? null : baseline.loggedSteps,
                TrainingHealthMonitor.lossSpikesTotal(state),
                QueryViews.finite(TrainingHealthMonitor.lossSpikeRatePer1000(state)),
                TrainingHealthMonitor.skippedStepsTotal(state),
                QueryViews.finite(TrainingHealthMonitor.skippedStepFraction(state)),
                state.precision);
    }

    static Liveness liveness(LivenessState state, LivenessGauges gauges, long nowMs) {
        if (state == null) {
            return null;
        }
        Long lastAlive = state.lastAliveMs >= 0 ? state.lastAliveMs : null;
        return new Liveness(livenessStatus(state), step(state.position), lastAlive, QueryViews.iso(lastAlive),
                lastAlive == null || state.ended ? null : Math.max(0, nowMs - lastAlive) / 1000.0,
                QueryViews.finite(gauges.stallDeadlineS()), QueryViews.finite(gauges.throughputRatio()),
                QueryViews.finite(gauges.goodputRatio()), gauges.restartsTotal(), gauges.lostSteps());
    }

    /** One word for the run's liveness, the most urgent first. */
    static String livenessStatus(LivenessState state) {
        if (state.ended) {
            return "ended";
        }
        if (state.stall != null && state.stall.openId != null) {
            return "stalled";
        }
        if (state.restarts != null && state.restarts.openId != null) {
            return "restart_storm";
        }
        if (state.throughput != null && state.throughput.openId != null) {
            return "slow";
        }
        if (state.firstStepPending || state.position < 0) {
            return "starting";
        }
        return "running";
    }

    static Evaluation evaluation(TrajectoryState trajectory, EvalRunState runState) {
        TrajectoryState.Checkpoint newest = trajectory.recent == null || trajectory.recent.isEmpty() ? null
                : trajectory.recent.get(trajectory.recent.size() - 1);
        return new Evaluation(trajectory.benchmark, trajectory.metric, newest == null ? null : newest.step,
                newest == null || newest.scores.isEmpty() ? null : QueryViews.finite(newest.mean()),
                newest == null ? null : QueryViews.finite(newest.stderr),
                newest == null ? null : newest.scores.size(), trajectory.checkpointsSeen,
                noiseClass(trajectory, runState), trajectory.openRegressionId);
    }

    /**
     * {@code normal}; {@code chance} or {@code binary_flip} when the trajectory is classed noisy (the
     * {@code eval_noisy} reason; regressions are not tested); {@code flaky} when its benchmark is.
     */
    static String noiseClass(TrajectoryState trajectory, EvalRunState runState) {
        if (trajectory.noisy) {
            return trajectory.noisyReason == null ? "noisy" : trajectory.noisyReason;
        }
        if (runState != null && trajectory.benchmark != null && runState.isFlaky(trajectory.benchmark)) {
            return "flaky";
        }
        return "normal";
    }

    /** The open episodes, oldest first. */
    static List<Episode> open(String run, AlertBook book) {
        List<Episode> episodes = new ArrayList<>();
        if (book == null) {
            return episodes;
        }
        for (Map.Entry<String, AlertBook.OpenEpisode> entry : book.open.entrySet()) {
            AlertBook.OpenEpisode e = entry.getValue();
            episodes.add(new Episode(entry.getKey(), run, e.type, e.severity, "firing", e.step, e.rollbackToStep,
                    e.firedAtMs, QueryViews.iso(e.firedAtMs), null, null));
        }
        episodes.sort(Comparator.comparing(Episode::firedAtMs).thenComparing(Episode::id));
        return episodes;
    }

    /** The newest resolved episodes, newest first. */
    static List<Episode> resolved(String run, AlertBook book) {
        List<Episode> episodes = new ArrayList<>();
        if (book == null || book.recentlyResolved == null) {
            return episodes;
        }
        for (AlertBook.ResolvedEpisode e : book.recentlyResolved) {
            episodes.add(0, new Episode(e.id, run, e.type, e.severity, "resolved", e.step, e.rollbackToStep,
                    e.firedAtMs, QueryViews.iso(e.firedAtMs), e.resolvedAtMs, QueryViews.iso(e.resolvedAtMs)));
        }
        return episodes;
    }

    private static Long step(long step) {
        return step >= 0 ? step : null;
    }
}
