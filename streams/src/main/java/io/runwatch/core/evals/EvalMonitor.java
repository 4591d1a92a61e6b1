package io.runwatch.core.evals;

import io.runwatch.core.EvalPoint;
import java.util.List;
import java.util.Map;

/** Checkpoint-evaluation trajectory detection for one run at a time. Stateless; memory is in the state. */
public final class EvalMonitor {
    private final EvalSettings settings;

    public EvalMonitor(EvalSettings settings) {
        this.settings = settings;
    }

    public EvalSettings settings() {
        return settings;
    }

    public EvalOutcome onEval(EvalRunState state, EvalPoint point) {
        state.points++;
        EvalGauges gauges = new EvalGauges(point.run(), point.benchmark(), point.metric(), point.value(),
                Double.NaN, Double.NaN, Double.NaN, settings.kendallWindow(), Double.NaN);
        return new EvalOutcome(List.of(), gauges, Map.of(), null);
    }
}
