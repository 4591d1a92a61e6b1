package io.runwatch.core.training;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunEvent;
import io.runwatch.core.RunEventType;
import io.runwatch.core.Severity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Training-health detection for one run at a time: the topology hands it the run's state and one record,
 * and gets back the alert records to emit. Stateless itself; all memory lives in {@link TrainingState}.
 */
public final class TrainingHealthMonitor {
    private final TrainingSettings settings;

    public TrainingHealthMonitor(TrainingSettings settings) {
        this.settings = settings;
    }

    public TrainingSettings settings() {
        return settings;
    }

    public List<Alert> onMetric(TrainingState state, MetricPoint point) {
        if (point.step() <= state.lastStep) {
            return List.of(); // duplicate or replayed step
        }
        state.lastStep = point.step();
        List<Alert> alerts = new ArrayList<>(1);
        boolean lossBad = isNonFinite(point.loss());
        boolean gradBad = isNonFinite(point.gradNorm());
        if (lossBad || gradBad) {
            if (state.openNonFiniteId == null) {
                alerts.add(nonFiniteFiring(state, point, lossBad));
            }
        } else {
            if (state.openNonFiniteId != null) {
                alerts.add(nonFiniteResolved(state, point));
            }
            state.lastHealthyStep = point.step();
        }
        return alerts;
    }

    public List<Alert> onEvent(TrainingState state, RunEvent event) {
        if (event.type() == RunEventType.checkpoint && event.step() != null) {
            state.lastCheckpointStep = Math.max(state.lastCheckpointStep, event.step());
        }
        return List.of();
    }

    /** Where to roll back to: the last checkpoint before the episode, else the last healthy step. */
    static Long rollbackTarget(TrainingState state, long onsetStep) {
        if (state.lastCheckpointStep >= 0 && state.lastCheckpointStep < onsetStep) {
            return state.lastCheckpointStep;
        }
        return state.lastHealthyStep >= 0 ? state.lastHealthyStep : null;
    }

    private Alert nonFiniteFiring(TrainingState state, MetricPoint point, boolean lossBad) {
        String what = lossBad ? "loss" : "grad_norm";
        double value = lossBad ? point.loss() : point.gradNorm();
        Long rollback = rollbackTarget(state, point.step());
        Alert alert = Alert.firing(point.run(), AlertType.nonfinite, Severity.page, point.step())
                .detectedAt(point.step(), point.timeMs())
                .metric(what)
                .value(value)
                .rollbackTo(rollback)
                .summary(String.format("Run %s logged %s=%s at step %d; training is broken from here%s.",
                        point.run(), what, value, point.step(),
                        rollback == null ? "" : ", roll back to step " + rollback))
                .details(Map.of("loss", String.valueOf(point.loss()), "grad_norm", String.valueOf(point.gradNorm())))
                .build();
        state.openNonFiniteId = alert.id();
        state.nonFiniteOnsetStep = point.step();
        return alert;
    }

    private Alert nonFiniteResolved(TrainingState state, MetricPoint point) {
        Alert resolved = Alert.firing(point.run(), AlertType.nonfinite, Severity.page, state.nonFiniteOnsetStep)
                .build()
                .resolvedAt(point.step(), point.timeMs(),
                        "Loss and gradient norm are finite again at step " + point.step() + ".");
        state.openNonFiniteId = null;
        state.nonFiniteOnsetStep = -1;
        return resolved;
    }

    static boolean isNonFinite(Double value) {
        return value != null && !Double.isFinite(value);
    }
}
