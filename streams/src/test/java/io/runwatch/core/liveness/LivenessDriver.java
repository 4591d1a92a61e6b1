package io.runwatch.core.liveness;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.runwatch.contract.Json;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertState;
import io.runwatch.core.AlertType;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunConfig;
import io.runwatch.core.RunEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * Drives one run through a {@link LivenessMonitor} with time advanced by hand, ticking every 5 s as the topology
 * does, and collects every alert.
 */
final class LivenessDriver {
    static final String RUN = "run-a";
    static final long TICK_MS = 5_000;
    static final long T0 = 1_700_000_000_000L;

    final LivenessMonitor monitor;
    LivenessState state = new LivenessState();
    final List<Alert> alerts = new ArrayList<>();
    long nowMs = T0;
    long step;
    private long nextTickMs = T0 + TICK_MS;

    LivenessDriver(LivenessSettings settings) {
        this.monitor = new LivenessMonitor(settings);
    }

    LivenessDriver() {
        this(LivenessSettings.defaults());
    }

    /** Lets {@code seconds} pass, ticking on the way. */
    LivenessDriver pass(double seconds) {
        long until = nowMs + Math.round(seconds * 1000);
        while (nextTickMs <= until) {
            String before = json(state);
            long dueMs = monitor.nextCheckMs(state);
            List<Alert> raised = monitor.onTick(state, nextTickMs);
            if (raised.isEmpty() && !json(state).equals(before)) {
                // the topology writes a run's state back after a tick only when the tick returned an alert
                throw new AssertionError("onTick changed the state without an alert at " + nextTickMs);
            }
            if (!raised.isEmpty() && nextTickMs < dueMs) {
                // the topology's deadline index judges a run only from its next check time on
                throw new AssertionError("onTick raised " + raised + " at " + nextTickMs + ", before the run's "
                        + "next check time " + dueMs);
            }
            if (raised.isEmpty() && dueMs < nextTickMs) {
                // a due time too early would make the index read the run's state on every tick for nothing
                throw new AssertionError("the run was due at " + dueMs + " but onTick at " + nextTickMs
                        + " found nothing to do");
            }
            alerts.addAll(raised);
            nextTickMs += TICK_MS;
        }
        nowMs = until;
        return this;
    }

    private static String json(LivenessState state) {
        try {
            return Json.MAPPER.writeValueAsString(state);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code count} steps, each {@code secondsEach} after the previous record. */
    LivenessDriver steps(int count, double secondsEach) {
        for (int i = 0; i < count; i++) {
            pass(secondsEach).step(step + 1);
        }
        return this;
    }

    LivenessDriver step(long atStep) {
        return metric(MetricPoint.ofLoss(RUN, atStep, nowMs, 2.0));
    }

    LivenessDriver metric(MetricPoint point) {
        step = point.step();
        alerts.addAll(monitor.onMetric(state, point));
        return this;
    }

    /** The next step, declaring that the one after may take {@code seconds}. */
    LivenessDriver stepDeclaring(double waitSeconds, double seconds) {
        pass(waitSeconds);
        return metric(MetricPoint.ofLoss(RUN, step + 1, nowMs, 2.0).withExpectNextWithinS(seconds));
    }

    LivenessDriver start(Long resumedFrom) {
        RunConfig config = resumedFrom == null ? RunConfig.EMPTY : RunConfig.resumedFrom(resumedFrom);
        alerts.addAll(monitor.onEvent(state, RunEvent.start(RUN, nowMs, config)));
        if (resumedFrom != null) {
            step = resumedFrom;
        }
        return this;
    }

    LivenessDriver checkpoint() {
        alerts.addAll(monitor.onEvent(state, RunEvent.checkpoint(RUN, step, nowMs)));
        return this;
    }

    LivenessDriver end() {
        alerts.addAll(monitor.onEvent(state, RunEvent.end(RUN, step, nowMs, "completed")));
        return this;
    }

    List<Alert> of(AlertType type) {
        return alerts.stream().filter(a -> a.type() == type).toList();
    }

    List<Alert> firing(AlertType type) {
        return of(type).stream().filter(a -> a.state() == AlertState.firing).toList();
    }

    List<Alert> resolved(AlertType type) {
        return of(type).stream().filter(a -> a.state() == AlertState.resolved).toList();
    }
}
