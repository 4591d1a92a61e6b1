package io.runwatch.topology;

import io.runwatch.core.Alert;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunEvent;
import io.runwatch.core.RunEventType;
import io.runwatch.core.RunInput;
import io.runwatch.core.liveness.LivenessMonitor;
import io.runwatch.core.liveness.LivenessSnapshot;
import io.runwatch.core.liveness.LivenessState;
import io.runwatch.core.training.TrainingHealthMonitor;
import io.runwatch.core.training.TrainingState;
import io.runwatch.metrics.RunwatchMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Runs the training-health and liveness detectors over one run's merged metrics and events, with their state
 * in changelogged stores keyed by run. A punctuator checks silence (stalls) and expires idle runs' series;
 * live, on the task's {@link InputClock}, so a backlog is judged on its own time, not on the wall clock. It reads
 * only the runs that are due, from a {@link DeadlineIndex} kept on every change of a run's state and rebuilt from
 * the stores when the task starts.
 * The task exports the series of the runs it owns only: it restores them from its stores when it starts (after a
 * restart or a move from another instance) and removes them when it is closed (its partition revoked).
 */
final class TrainingProcessor extends ContextualProcessor<String, RunInput, String, Alert> {
    static final String TRAINING_STORE = "training-state";
    static final String LIVENESS_STORE = "liveness-state";
    static final String ACTIVITY_STORE = "training-run-activity";
    /** Live: how soon after a tick that left runs due the next slice of them is judged (records in between). */
    static final Duration CATCH_UP_SLICE = Duration.ofMillis(100);

    private final TrainingHealthMonitor training;
    private final LivenessMonitor liveness;
    private final RunwatchMetrics metrics;
    private final Housekeeping housekeeping;
    private CachedStore<TrainingState> trainingStore;
    private CachedStore<LivenessState> livenessStore;
    private CachedStore<RunActivity> activityStore;
    /** Runs whose series this processor instance exports, released when its task closes. */
    private final Set<String> exported = new HashSet<>();
    /** Live: the time silence is judged by, from the records this task processed (in memory, per task). */
    private final InputClock inputClock;
    /** When the tick next has something to do for each run, on the tick's clock (in memory, per task). */
    private final DeadlineIndex due = new DeadlineIndex();
    /** Live: the slices that judge what one tick left due (more than the bound); null while none is left. */
    private Cancellable catchUp;

    TrainingProcessor(TrainingHealthMonitor training, LivenessMonitor liveness, RunwatchMetrics metrics,
                      Housekeeping housekeeping) {
        this.training = training;
        this.liveness = liveness;
        this.metrics = metrics;
        this.housekeeping = housekeeping;
        this.inputClock = new InputClock(housekeeping.inputIdleMs());
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        super.init(context);
        trainingStore = context.getStateStore(TRAINING_STORE);
        livenessStore = context.getStateStore(LIVENESS_STORE);
        activityStore = context.getStateStore(ACTIVITY_STORE);
        context.schedule(housekeeping.tick(), housekeeping.clock(), this::tick);
        catchUp = null;
        rebuildIndex();
        restoreSeries(context.currentSystemTimeMs());
    }

    /**
     * Every run of the stores goes into the index due at once (its keys only, no value decoded); the runs whose
     * series are restored below get their exact due time from the state read there, the others (series expired:
     * silent for long, or ended) are read by the first ticks, a bounded number per tick.
     */
    private void rebuildIndex() {
        due.clear();
        for (String run : livenessStore.keys()) {
            due.schedule(due.entry(run), DeadlineIndex.UNKNOWN);
        }
    }

    /**
     * The series a new owner can rebuild from its state at once: step, last seen, loss-spike counts and the
     * liveness gauges. The values of the newest step (loss, gradient norm, ...) return with the run's next record.
     */
    private void restoreSeries(long nowMs) {
        for (String run : activityStore.keys()) {
            RunActivity activity = activityStore.getIfPresent(run);
            if (activity == null || activity.seriesRemoved) {
                continue;
            }
            export(run);
            TrainingState trainingState = trainingStore.getIfPresent(run);
            if (trainingState != null && trainingState.lastStep >= 0) {
                metrics.runStep(run, trainingState.lastStep);
                metrics.lossSpikes(run, TrainingHealthMonitor.lossSpikesTotal(trainingState),
                        TrainingHealthMonitor.lossSpikeRatePer1000(trainingState));
            }
            if (activity.lastSeenMs != Long.MIN_VALUE) {
                metrics.runSeen(run, activity.lastSeenMs);
            }
            LivenessState livenessState = livenessStore.getIfPresent(run);
            if (livenessState != null) {
                DeadlineIndex.Entry entry = index(run, livenessState, activity);
                if (housekeeping.clock() == PunctuationType.WALL_CLOCK_TIME) {
                    metrics.liveness(run, entry.liveness.gaugesAt(nowMs));
                }
            }
        }
    }

    /** Re-indexes a run after its state changed (or was read): its snapshot and its next due time. O(log n). */
    private DeadlineIndex.Entry index(String run, LivenessState state, RunActivity activity) {
        DeadlineIndex.Entry entry = due.entry(run);
        LivenessSnapshot snapshot = liveness.snapshot(state);
        entry.liveness = snapshot;
        entry.exported = activity == null || !activity.seriesRemoved;
        long expiry = activity == null ? Long.MAX_VALUE : activity.nextTrainingExpiryMs(
                housekeeping.finishedSeriesMs(), housekeeping.idleSeriesMs(), housekeeping.seriesRetentionMs(),
                housekeeping.stateRetentionMs());
        due.schedule(entry, Math.min(snapshot.nextCheckMs(), expiry));
        return entry;
    }

    private void export(String run) {
        if (exported.add(run)) {
            metrics.claimRun("training", run, this);
        }
    }

    /** The task is closed (partition revoked, thread replaced, instance stopping): its runs' series go. */
    @Override
    public void close() {
        for (String run : exported) {
            metrics.releaseRun("training", run, this);
        }
        exported.clear();
        due.clear();
        if (catchUp != null) {
            catchUp.cancel();
            catchUp = null;
        }
    }

    @Override
    public void process(Record<String, RunInput> record) {
        RunInput input = record.value();
        String run = input.run();
        export(run);
        TrainingState trainingState = trainingStore.getOrCreate(run, TrainingState::new);
        LivenessState livenessState = livenessStore.getOrCreate(run, LivenessState::new);
        List<Alert> alerts = new ArrayList<>();
        if (input.metric() != null) {
            MetricPoint point = input.metric();
            alerts.addAll(training.onMetric(trainingState, point));
            alerts.addAll(liveness.onMetric(livenessState, point));
            metrics.trainingRecord(point, point.step() >= trainingState.lastStep,
                    TrainingHealthMonitor.lossSpikesTotal(trainingState),
                    TrainingHealthMonitor.lossSpikeRatePer1000(trainingState),
                    TrainingHealthMonitor.skippedStepsTotal(trainingState),
                    TrainingHealthMonitor.skippedStepFraction(trainingState));
        } else {
            RunEvent event = input.event();
            alerts.addAll(training.onEvent(trainingState, event));
            alerts.addAll(liveness.onEvent(livenessState, event));
            metrics.runSeen(run, event.timeMs());
        }
        trainingStore.put(run, trainingState);
        livenessStore.put(run, livenessState);
        RunActivity activity = touch(run, input.timeMs(), input.event() != null
                && input.event().type() == RunEventType.end);
        index(run, livenessState, activity);
        inputClock.processed(input.timeMs(), context().currentSystemTimeMs());
        for (Alert alert : alerts) {
            context().forward(new Record<>(run, alert, record.timestamp()));
        }
    }

    /**
     * Silence checks, liveness gauges and expiry, on the configured clock. A run's training series go after the
     * finished or idle series retention; its state after the state retention (an ended run's after the series
     * retention), so stores and /metrics stay bounded. Only the runs due are read (live, at most
     * {@code maxDueRunsPerTick}; the rest in slices right after); every exported run's time-dependent gauges are
     * refreshed from its snapshot in memory.
     */
    private void tick(long punctuationMs) {
        long nowMs = punctuationMs;
        boolean live = housekeeping.clock() == PunctuationType.WALL_CLOCK_TIME;
        if (live) {
            metrics.punctuated(punctuationMs);
            if (!inputClock.ready(punctuationMs)) {
                return; // just started, nothing processed yet: a backlog cannot be told from idle input
            }
            nowMs = inputClock.nowMs(punctuationMs);
        }
        judgeDue(nowMs, live ? housekeeping.maxDueRunsPerTick() : Integer.MAX_VALUE);
        for (DeadlineIndex.Entry entry : due.entries()) {
            if (entry.exported && entry.liveness != null) {
                metrics.liveness(entry.run, entry.liveness.gaugesAt(nowMs));
            }
        }
        if (live && catchUp == null && due.anyDue(nowMs)) {
            catchUp = context().schedule(CATCH_UP_SLICE, PunctuationType.WALL_CLOCK_TIME, this::catchUp);
        }
    }

    /** Live: more runs were due than one tick judges; the next slice, until none is left. */
    private void catchUp(long punctuationMs) {
        long nowMs = inputClock.nowMs(punctuationMs);
        judgeDue(nowMs, housekeeping.maxDueRunsPerTick());
        if (!due.anyDue(nowMs) && catchUp != null) {
            catchUp.cancel();
            catchUp = null;
        }
    }

    /** Judges up to {@code max} due runs (earliest due first; in run order within the slice, as keys list). */
    private void judgeDue(long nowMs, int max) {
        List<String> runs = due.due(nowMs, max);
        runs.sort(null);
        for (String run : runs) {
            judge(run, nowMs);
        }
    }

    private void judge(String run, long nowMs) {
        LivenessState state = livenessStore.getIfPresent(run);
        if (state == null) {
            due.remove(run);
            return;
        }
        List<Alert> alerts = liveness.onTick(state, nowMs);
        if (!alerts.isEmpty()) {
            livenessStore.put(run, state); // onTick changes the state only when it raises or resolves
        }
        for (Alert alert : alerts) {
            context().forward(new Record<>(run, alert, nowMs));
        }
        RunActivity activity = activityStore.getIfPresent(run);
        if (activity == null || !activity.trainingSeriesExpired(nowMs, housekeeping.finishedSeriesMs(),
                housekeeping.idleSeriesMs())) {
            export(run);
        } else if (activity.stateExpired(nowMs, housekeeping.seriesRetentionMs(), housekeeping.stateRetentionMs())) {
            metrics.removeRun(run);
            trainingStore.delete(run);
            livenessStore.delete(run);
            activityStore.delete(run);
            exported.remove(run);
            due.remove(run);
            return;
        } else if (!activity.seriesRemoved) {
            metrics.removeRun(run);
            activity.seriesRemoved = true;
            activityStore.put(run, activity);
        }
        DeadlineIndex.Entry entry = index(run, state, activity);
        if (entry.exported) {
            metrics.liveness(run, entry.liveness.gaugesAt(nowMs));
        }
    }

    private RunActivity touch(String run, long timeMs, boolean ended) {
        RunActivity activity = activityStore.getOrCreate(run, RunActivity::new);
        if (activity.seen(timeMs, ended)) {
            activityStore.put(run, activity);
        }
        return activity;
    }

}
