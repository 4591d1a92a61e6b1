package io.runwatch.core.liveness;

import io.runwatch.core.Alert;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * Stall, throughput and restart detection for one run. Records arrive through {@link #onMetric} and
 * {@link #onEvent}; {@link #onTick} is called periodically with the current time (wall clock live, record
 * time in backtest) so silence itself can raise an alert. Stateless itself; all memory is in
 * {@link LivenessState}, and every call is O(1) in the run's length.
 *
 * <p>Alerts: {@code stall} (page), {@code throughput_drop} (ticket), {@code restart_storm} (page); each fires once
 * per episode and resolves once. Restarts are counted from start events of a run that already ran (or that
 * resumed from a step) and from steps going backwards without such an event.
 */
public final class LivenessMonitor {
    private final LivenessSettings settings;
    private final StallDetector stalls;
    private final ThroughputDetector throughput;
    private final RestartDetector restarts;

    public LivenessMonitor(LivenessSettings settings) {
        this.settings = settings;
        this.stalls = new StallDetector(settings);
        this.throughput = new ThroughputDetector(settings);
        this.restarts = new RestartDetector(settings);
    }

    public LivenessSettings settings() {
        return settings;
    }

    public List<Alert> onMetric(LivenessState state, MetricPoint point) {
        long step = point.step();
        long timeMs = point.timeMs();
        remember(state, point.run(), timeMs);
        if (step == state.position) {
            return List.of(); // duplicate, or the resume step logged again
        }
        if (isLate(state, step, timeMs)) {
            return List.of(); // reordered in transit: neither progress nor a restart
        }
        List<Alert> alerts = new ArrayList<>(2);
        state.ended = false; // steps after an end: the run evidently runs
        boolean rewind = state.position >= 0 && step < state.position;
        double deadlineS = stalls.deadlineS(state);
        double intervalS = state.lastAliveMs >= 0 ? (timeMs - state.lastAliveMs) / 1000.0 : Double.NaN;
        boolean stalled = state.stall.stalledThisInterval || intervalS > deadlineS;
        // an interval between two step records of one run segment (not start → first step, not a rewind)
        boolean steadyInterval = !rewind && !state.firstStepPending && state.recordsSinceStart > 0;
        long stepDelta = step - state.position;

        if (rewind) {
            alerts.addAll(restarts.onRewind(state, step, timeMs));
            if (!state.firstStepPending) {
                startSegment(state); // an unannounced restart
            }
        } else if (!stalled && intervalS > 0) {
            state.productiveMs += intervalS * 1000 * newWorkFraction(state, step);
        }
        if (steadyInterval) {
            stalls.learnInterval(state, intervalS, stalled);
        }
        if (state.stall.openId != null) { // the text is built only when a stall resolves, not on every record
            alerts.addAll(stalls.onAlive(state, step, timeMs, "reported step " + step));
        }
        if (!rewind) {
            boolean excluded = !steadyInterval || stalled || state.checkpointInInterval || state.declaredNextS >= 0
                    || state.recordsSinceStart <= settings.warmupRecords();
            alerts.addAll(throughput.onStep(state, point, intervalS, stepDelta, excluded));
            if (state.position >= 0 && !state.firstStepPending) {
                state.stepsPerRecord = stepDelta;
            }
            state.lastProgressMs = timeMs;
        }

        state.position = step;
        state.highWaterStep = Math.max(state.highWaterStep, step);
        state.lastAliveMs = Math.max(state.lastAliveMs, timeMs);
        state.recordsSinceStart++;
        state.firstStepPending = false;
        state.restarts.rewindExplained = false;
        state.checkpointInInterval = false;
        state.stall.stalledThisInterval = false;
        Double declared = point.expectNextWithinS();
        state.declaredNextS = declared != null && declared > 0 && !declared.isInfinite() ? declared : -1;
        alerts.addAll(restarts.checkQuiet(state, timeMs));
        return alerts;
    }

    /**
     * A record reordered in transit: a step a few logging intervals behind the newest, with no start event
     * announcing a resume, stamped no later than one typical (median) record interval after the newest record.
     * A restart's replayed step comes after the crash's downtime and the checkpoint load, which take longer. Not
     * the stall deadline as the yardstick: it holds evaluation pauses and save allowances (up to a quarter of an
     * hour), and swallowed the restarts of crash loops whole.
     */
    private boolean isLate(LivenessState state, long step, long timeMs) {
        double typicalIntervalMs = 1000 * StallDetector.typicalIntervalS(state.stall);
        return state.position >= 0 && step < state.position && !state.firstStepPending
                && timeMs - state.lastAliveMs <= typicalIntervalMs
                && state.position - step <= settings.reorderToleranceSteps() * Math.max(1, state.stepsPerRecord);
    }

    public List<Alert> onEvent(LivenessState state, RunEvent event) {
        long timeMs = event.timeMs();
        remember(state, event.run(), timeMs);
        List<Alert> alerts = new ArrayList<>(1);
        switch (event.type()) {
            case start -> {
                Long resumedFrom = event.config().resumedFromStep();
                boolean restart = resumedFrom != null || state.sawStart || state.position >= 0;
                state.sawStart = true;
                if (state.ended) {
                    state.ended = false;
                    state.endedMs = -1;
                }
                alerts.addAll(stalls.onAlive(state, Math.max(state.position, 0), timeMs, "started again"));
                if (restart) {
                    alerts.addAll(restarts.onRestartEvent(state, resumedFrom, timeMs));
                }
                if (resumedFrom != null) {
                    state.position = resumedFrom;
                }
                startSegment(state);
                state.firstStepPending = true;
                state.lastAliveMs = Math.max(state.lastAliveMs, timeMs);
            }
            case checkpoint -> {
                long step = event.step() != null ? event.step() : Math.max(state.position, 0);
                stalls.onCheckpoint(state, step);
                restarts.onCheckpoint(state, step);
            }
            case end -> {
                state.ended = true;
                state.endedMs = timeMs;
                long step = Math.max(state.position, 0);
                String why = "Run " + state.run + " ended" + (event.status() == null ? "" : " (" + event.status() + ")")
                        + ".";
                alerts.addAll(stalls.close(state, step, timeMs, why));
                alerts.addAll(throughput.close(state, step, timeMs, why));
                alerts.addAll(restarts.close(state, step, timeMs, why));
            }
            default -> {
            }
        }
        return alerts;
    }

    /**
     * Periodic check (every {@code liveness.tick.interval.ms}): raises stalls, resolves quiet restart storms.
     * Changes {@code state} only when it returns an alert, so a caller need not write back a state that returned
     * none. Returns nothing before {@link #nextCheckMs}, so a caller need only call it for runs that are due.
     */
    public List<Alert> onTick(LivenessState state, long nowMs) {
        if (state.ended) {
            return List.of();
        }
        List<Alert> alerts = new ArrayList<>(stalls.check(state, nowMs));
        alerts.addAll(restarts.checkQuiet(state, nowMs));
        return alerts;
    }

    /**
     * Goodput of the run as of {@code nowMs}: the share of wall time since the run was first seen (until its end)
     * spent making new progress. An interval between two step records counts when it ended with a step beyond
     * every step reported before (partly, when it crossed that high-water mark) and did not exceed its stall
     * deadline; the current silence counts while it is within the deadline at the high-water mark. Not counted:
     * stalls, restarts (crash to first step), and redoing steps lost to a rewind. NaN before the first record.
     */
    public double goodputRatio(LivenessState state, long nowMs) {
        return snapshot(state).goodputRatio(nowMs);
    }

    /** Steps thrown away by rewinds so far: for each, the step the run had reached minus the step it resumed from. */
    public long lostSteps(LivenessState state) {
        return state.restarts.lostSteps;
    }

    /** The silence (seconds) after which the run would page now; NaN once it ended or before its first record. */
    public double stallDeadlineSeconds(LivenessState state) {
        return state.ended || state.lastAliveMs < 0 ? Double.NaN : stalls.deadlineS(state);
    }

    /** Everything the metrics layer exports for the run (see {@link LivenessGauges} for the series names). */
    public LivenessGauges gauges(LivenessState state, long nowMs) {
        return snapshot(state).gaugesAt(nowMs);
    }

    /**
     * The run's gauges as a function of time and its next due time, valid until its state changes (a record, or
     * a tick that returned an alert). O(1): one deadline computation.
     */
    public LivenessSnapshot snapshot(LivenessState state) {
        double deadlineS = stalls.deadlineS(state);
        boolean atFrontier = state.position >= state.highWaterStep && !state.firstStepPending;
        return new LivenessSnapshot(nextCheckMs(state, deadlineS), state.ended, state.endedMs, state.firstSeenMs,
                state.lastAliveMs, state.productiveMs,
                atFrontier && state.stall.openId == null && state.lastAliveMs >= 0, deadlineS,
                state.restarts.lostSteps, ThroughputDetector.ratio(state.throughput), state.restarts.total);
    }

    /**
     * The earliest time at which {@link #onTick} can raise or resolve anything for this state: the end of the
     * silence deadline (a stall) or of the storm's quiet period (its resolution). {@link Long#MAX_VALUE} when
     * only a record can change that (ended, stalled already, a storm waiting for progress).
     */
    public long nextCheckMs(LivenessState state) {
        return nextCheckMs(state, stalls.deadlineS(state));
    }

    private long nextCheckMs(LivenessState state, double deadlineS) {
        if (state.ended) {
            return Long.MAX_VALUE;
        }
        long next = Long.MAX_VALUE;
        if (state.lastAliveMs >= 0 && state.stall.openId == null) {
            // the check pages when (now - lastAlive) / 1000 > deadline: first at the next whole millisecond
            next = plus(state.lastAliveMs, Math.floor(deadlineS * 1000) + 1);
        }
        LivenessState.Restarts restarts = state.restarts;
        if (restarts.openId != null && state.lastProgressMs > restarts.lastRestartMs) {
            next = Math.min(next, plus(restarts.lastRestartMs, Math.ceil(settings.stormQuietS() * 1000)));
        }
        return next;
    }

    /** {@code timeMs + ms}, saturating at {@link Long#MAX_VALUE} (a deadline may be very long). */
    private static long plus(long timeMs, double ms) {
        double sum = timeMs + ms;
        return sum >= Long.MAX_VALUE || Double.isNaN(ms) ? Long.MAX_VALUE : timeMs + (long) ms;
    }

    private static void remember(LivenessState state, String run, long timeMs) {
        if (state.run == null) {
            state.run = run;
        }
        if (state.firstSeenMs < 0 || timeMs < state.firstSeenMs) {
            state.firstSeenMs = timeMs;
        }
    }

    /** A new run segment after a restart: warm-up again, no pending checkpoint or declaration. */
    private void startSegment(LivenessState state) {
        state.recordsSinceStart = 0;
        state.checkpointInInterval = false;
        state.declaredNextS = -1;
        state.stall.stalledThisInterval = false;
        throughput.startSegment(state);
    }

    /** Share of the steps this record advanced that were never reported before. */
    private static double newWorkFraction(LivenessState state, long step) {
        if (step <= state.highWaterStep) {
            return 0;
        }
        if (state.position >= state.highWaterStep) {
            return 1;
        }
        return (double) (step - state.highWaterStep) / (step - state.position);
    }
}
