package io.runwatch.core.liveness;

import io.runwatch.core.Alert;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunEvent;
import io.runwatch.core.RunEventType;
import java.util.List;

/**
 * Stall, throughput and restart detection for one run. Records arrive through {@link #onMetric} and
 * {@link #onEvent}; {@link #onTick} is called periodically with the current time (wall clock live, record
 * time in backtest) so silence itself can raise an alert.
 */
public final class LivenessMonitor {
    private final LivenessSettings settings;

    public LivenessMonitor(LivenessSettings settings) {
        this.settings = settings;
    }

    public LivenessSettings settings() {
        return settings;
    }

    public List<Alert> onMetric(LivenessState state, MetricPoint point) {
        if (point.step() > state.lastStep) {
            state.lastStep = point.step();
            state.lastProgressMs = Math.max(state.lastProgressMs, point.timeMs());
        }
        return List.of();
    }

    public List<Alert> onEvent(LivenessState state, RunEvent event) {
        if (event.type() == RunEventType.end) {
            state.ended = true;
        }
        return List.of();
    }

    public List<Alert> onTick(LivenessState state, long nowMs) {
        return List.of();
    }

    /** Goodput of the run as of {@code nowMs}: share of wall time spent making new progress; NaN if unknown. */
    public double goodputRatio(LivenessState state, long nowMs) {
        return Double.NaN;
    }

    /** Steps redone because of rewinds so far. */
    public long lostSteps(LivenessState state) {
        return 0;
    }
}
