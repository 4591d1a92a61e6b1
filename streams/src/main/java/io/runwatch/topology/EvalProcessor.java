package io.runwatch.topology;

import io.runwatch.core.Alert;
import io.runwatch.core.EvalPoint;
import io.runwatch.core.RunInput;
import io.runwatch.core.alerts.AlertBook;
import io.runwatch.core.evals.EvalMonitor;
import io.runwatch.core.evals.EvalOutcome;
import io.runwatch.core.evals.EvalRunState;
import io.runwatch.core.evals.TrainingEpisode;
import io.runwatch.core.evals.TrainingEpisodes;
import io.runwatch.core.evals.TrajectoryState;
import io.runwatch.metrics.RunwatchMetrics;
import java.util.List;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Runs the checkpoint-evaluation detectors over one run's evaluations. State lives in changelogged stores:
 * a small summary per run (cross-benchmark moves, capabilities), one entry per (run, benchmark, metric)
 * trajectory so no single entry grows with the number of benchmarks, and the run's activity for expiry
 * (evaluations arrive hours after training ends, so they expire on their own clock).
 *
 * <p>It also reads, never writes, the alert lifecycle's book of the same run (same task: both are keyed by run
 * and co-partitioned): the loss-spike episodes an eval_co_drop is traced back to, looked up only when one opens.
 */
final class EvalProcessor extends ContextualProcessor<String, RunInput, String, Alert> {
    static final String RUN_STORE = "eval-run-state";
    static final String TRAJECTORY_STORE = "eval-trajectory-state";
    static final String ACTIVITY_STORE = "eval-run-activity";

    private final EvalMonitor monitor;
    private final RunwatchMetrics metrics;
    private final Housekeeping housekeeping;
    private CachedStore<EvalRunState> runs;
    private CachedStore<TrajectoryState> trajectories;
    private CachedStore<RunActivity> activity;
    private KeyValueStore<String, AlertBook> alertBooks;
    private final TrainingEpisodes trainingEpisodes = this::trainingEpisodes;
    /** Runs whose evaluation series this processor instance exports, released when its task closes. */
    private final java.util.Set<String> exported = new java.util.HashSet<>();

    EvalProcessor(EvalMonitor monitor, RunwatchMetrics metrics, Housekeeping housekeeping) {
        this.monitor = monitor;
        this.metrics = metrics;
        this.housekeeping = housekeeping;
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        super.init(context);
        runs = context.getStateStore(RUN_STORE);
        trajectories = context.getStateStore(TRAJECTORY_STORE);
        activity = context.getStateStore(ACTIVITY_STORE);
        alertBooks = context.getStateStore(AlertLifecycleProcessor.STORE);
        context.schedule(housekeeping.tick(), housekeeping.clock(), this::expire);
    }

    @Override
    public void process(Record<String, RunInput> record) {
        EvalPoint point = record.value().eval();
        String trajectoryKey = trajectoryKey(point.run(), point.trajectoryKey());
        EvalRunState run = runs.getOrCreate(point.run(), EvalRunState::new);
        TrajectoryState trajectory = trajectories.getOrCreate(trajectoryKey, TrajectoryState::new);
        EvalOutcome outcome = monitor.onEval(run, trajectory, point, trainingEpisodes);
        runs.put(point.run(), run);
        trajectories.put(trajectoryKey, trajectory);
        RunActivity seen = activity.getOrCreate(point.run(), RunActivity::new);
        if (seen.seen(point.timeMs(), false)) {
            activity.put(point.run(), seen);
        }
        if (exported.add(point.run())) {
            metrics.claimRun("evals", point.run(), this);
        }
        metrics.evalOutcome(outcome);
        for (Alert alert : outcome.alerts()) {
            context().forward(new Record<>(point.run(), alert, record.timestamp()));
        }
    }

    /**
     * The task is closed (partition revoked, thread replaced, instance stopping): its runs' evaluation series go;
     * the new owner exports them again with the run's next evaluation.
     */
    @Override
    public void close() {
        for (String run : exported) {
            metrics.releaseRun("evals", run, this);
        }
        exported.clear();
    }

    /** The run's loss-spike and divergence episodes as the lifecycle admitted them (none before its first alert). */
    private List<TrainingEpisode> trainingEpisodes(String run) {
        AlertBook book = alertBooks.get(run);
        if (book == null) {
            return List.of();
        }
        return book.trainingEpisodes.stream()
                .map(e -> new TrainingEpisode(e.id, e.type, e.onsetStep, e.endStep)).toList();
    }

    private static String trajectoryKey(String run, String trajectory) {
        return run + "|" + trajectory;
    }

    /** Removes the series of runs without evaluations for the series retention, and their state later. */
    private void expire(long nowMs) {
        for (String run : activity.keys()) {
            RunActivity seen = activity.getIfPresent(run);
            if (!seen.seriesExpired(nowMs, housekeeping.seriesRetentionMs())) {
                continue;
            }
            if (!seen.seriesRemoved) {
                metrics.removeRunEvals(run);
                seen.seriesRemoved = true;
                activity.put(run, seen);
            }
            if (seen.stateExpired(nowMs, housekeeping.seriesRetentionMs(), housekeeping.stateRetentionMs())) {
                trajectories.keysWithPrefix(trajectoryKey(run, "")).forEach(trajectories::delete);
                runs.delete(run);
                activity.delete(run);
                exported.remove(run);
            }
        }
    }
}
