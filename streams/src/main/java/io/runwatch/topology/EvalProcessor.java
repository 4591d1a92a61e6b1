package io.runwatch.topology;

import io.runwatch.core.Alert;
import io.runwatch.core.EvalPoint;
import io.runwatch.core.RunInput;
import io.runwatch.core.evals.EvalMonitor;
import io.runwatch.core.evals.EvalOutcome;
import io.runwatch.core.evals.EvalRunState;
import io.runwatch.core.evals.TrajectoryState;
import io.runwatch.metrics.RunwatchMetrics;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Runs the checkpoint-evaluation detectors over one run's evaluations. State lives in two changelogged stores:
 * a small summary per run (cross-benchmark moves, capabilities) and one entry per (run, benchmark, metric)
 * trajectory, so no single entry grows with the number of benchmarks.
 */
final class EvalProcessor extends ContextualProcessor<String, RunInput, String, Alert> {
    static final String RUN_STORE = "eval-run-state";
    static final String TRAJECTORY_STORE = "eval-trajectory-state";

    private final EvalMonitor monitor;
    private final RunwatchMetrics metrics;
    private CachedStore<EvalRunState> runs;
    private CachedStore<TrajectoryState> trajectories;

    EvalProcessor(EvalMonitor monitor, RunwatchMetrics metrics) {
        this.monitor = monitor;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        super.init(context);
        runs = new CachedStore<>(context.getStateStore(RUN_STORE));
        trajectories = new CachedStore<>(context.getStateStore(TRAJECTORY_STORE));
    }

    @Override
    public void process(Record<String, RunInput> record) {
        EvalPoint point = record.value().eval();
        String trajectoryKey = point.run() + "|" + point.trajectoryKey();
        EvalRunState run = runs.getOrCreate(point.run(), EvalRunState::new);
        TrajectoryState trajectory = trajectories.getOrCreate(trajectoryKey, TrajectoryState::new);
        EvalOutcome outcome = monitor.onEval(run, trajectory, point);
        runs.put(point.run(), run);
        trajectories.put(trajectoryKey, trajectory);
        metrics.evalOutcome(outcome);
        for (Alert alert : outcome.alerts()) {
            context().forward(new Record<>(point.run(), alert, record.timestamp()));
        }
    }
}
