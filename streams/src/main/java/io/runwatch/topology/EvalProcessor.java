package io.runwatch.topology;

import io.runwatch.core.Alert;
import io.runwatch.core.EvalPoint;
import io.runwatch.core.RunInput;
import io.runwatch.core.evals.EvalMonitor;
import io.runwatch.core.evals.EvalOutcome;
import io.runwatch.core.evals.EvalRunState;
import io.runwatch.metrics.RunwatchMetrics;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/** Runs the checkpoint-evaluation detectors over one run's evaluations, state in a changelogged store. */
final class EvalProcessor extends ContextualProcessor<String, RunInput, String, Alert> {
    static final String EVAL_STORE = "eval-state";

    private final EvalMonitor monitor;
    private final RunwatchMetrics metrics;
    private CachedStore<EvalRunState> store;

    EvalProcessor(EvalMonitor monitor, RunwatchMetrics metrics) {
        this.monitor = monitor;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        super.init(context);
        store = new CachedStore<>(context.getStateStore(EVAL_STORE));
    }

    @Override
    public void process(Record<String, RunInput> record) {
        EvalPoint point = record.value().eval();
        EvalRunState state = store.getOrCreate(point.run(), EvalRunState::new);
        EvalOutcome outcome = monitor.onEval(state, point);
        store.put(point.run(), state);
        metrics.evalOutcome(outcome);
        for (Alert alert : outcome.alerts()) {
            context().forward(new Record<>(point.run(), alert, record.timestamp()));
        }
    }
}
