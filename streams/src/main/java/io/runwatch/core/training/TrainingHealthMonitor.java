package io.runwatch.core.training;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunEvent;
import io.runwatch.core.RunEventType;
import io.runwatch.core.Severity;
import io.runwatch.core.training.TrainingState.Baseline;
import io.runwatch.core.training.TrainingState.PrecursorEpisode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Training-health detection for one run at a time: the topology hands it the run's state and one record,
 * and gets back the alert records to emit. Stateless itself; all memory lives in {@link TrainingState}.
 *
 * <p>Per record it orders (duplicates and slightly late steps are dropped, a step far behind the newest is a
 * restart and rewinds the state), pages at once on non-finite values, then feeds the loss, gradient-norm and
 * per-group detectors. Every page and ticket names the checkpoint to roll back to.
 */
public final class TrainingHealthMonitor {
    private final TrainingSettings settings;
    private final LossSpikeDetector loss;
    private final GradNormSpikeDetector gradNorm;
    private final AdamPrecursorDetector precursors;
    private final NotTrainingDetector notTraining;

    public TrainingHealthMonitor(TrainingSettings settings) {
        this.settings = settings;
        this.loss = new LossSpikeDetector(settings);
        this.gradNorm = new GradNormSpikeDetector(settings);
        this.precursors = new AdamPrecursorDetector(settings);
        this.notTraining = new NotTrainingDetector(settings.notTraining());
    }

    public TrainingSettings settings() {
        return settings;
    }

    /** Gauge runwatch_loss_spikes_total{run}: one-step loss outliers counted so far. */
    public static long lossSpikesTotal(TrainingState state) {
        return state.lossOutliers;
    }

    /** Gauge runwatch_run_loss_spike_rate{run}: one-step loss outliers per 1000 logged steps, recent. */
    public static double lossSpikeRatePer1000(TrainingState state) {
        return state.spikeRatePer1000();
    }

    /** Counter runwatch_run_skipped_steps_total{run}: optimizer steps skipped by the fp16 loss scaler. */
    public static long skippedStepsTotal(TrainingState state) {
        return state.skippedStepsTotal;
    }

    /** Gauge runwatch_run_skipped_step_fraction{run}: share of skipped steps over the recent window. */
    public static double skippedStepFraction(TrainingState state) {
        return state.skipFraction;
    }

    public List<Alert> onMetric(TrainingState state, MetricPoint point) {
        List<Alert> alerts = new ArrayList<>(1);
        long previousStep = state.lastStep;
        if (state.lastStep >= 0 && point.step() <= state.lastStep) {
            long behind = state.lastStep - point.step();
            if (behind <= settings.reorderToleranceSteps() * state.stepInterval) {
                return alerts; // a duplicate, or a record that arrived a little late
            }
            rewind(state, point.step() - 1, point.run(), point.timeMs(), "step went back from " + state.lastStep
                    + " to " + point.step(), alerts);
            previousStep = state.lastStep;
        } else if (state.lastStep >= 0) {
            state.stepInterval = point.step() - state.lastStep;
        }
        state.lastStep = point.step();

        boolean lossBad = isNonFinite(point.loss());
        boolean gradBad = isNonFinite(point.gradNorm());
        // With dynamic loss scaling an overflow skips the step: a non-finite gradient norm with a finite loss is
        // routine there, and only a run that keeps skipping (or whose loss blew up) is an alert.
        boolean skippedStep = gradBad && !lossBad && NotTrainingDetector.usesLossScaling(state, point);
        notTraining.onRecord(state, point, previousStep < 0 ? 1 : point.step() - previousStep, skippedStep, alerts);
        if (lossBad || (gradBad && !skippedStep)) {
            if (state.openNonFiniteId == null) {
                alerts.add(nonFiniteFiring(state, point, lossBad));
            }
            return alerts; // a non-finite record says nothing about the statistics
        }
        if (state.openNonFiniteId != null) {
            alerts.add(nonFiniteResolved(state, point));
        }
        state.lastHealthyStep = point.step();

        if (point.loss() != null && point.loss() > 0) {
            loss.onLoss(state, point, Math.log(point.loss()), alerts);
        }
        if (point.gradNorm() != null && !gradBad && point.gradNorm() > 0) {
            gradNorm.onGradNorm(state, point, Math.log(point.gradNorm()), alerts);
        }
        if (!point.groups().isEmpty()) {
            precursors.onGroups(state, point, alerts);
        }
        state.baseline.atStep = point.step();
        if (isCalm(state) && state.baseline.loggedSteps - state.loggedStepsAtLastSnapshot
                >= settings.snapshotIntervalSteps()) {
            keepSnapshot(state.periodicSnapshots, state.baseline);
            state.loggedStepsAtLastSnapshot = state.baseline.loggedSteps;
        }
        return alerts;
    }

    public List<Alert> onEvent(TrainingState state, RunEvent event) {
        List<Alert> alerts = new ArrayList<>(1);
        if (event.type() == RunEventType.checkpoint && event.step() != null) {
            rememberCheckpoint(state, event.step());
            if (isCalm(state) && state.baseline.atStep >= 0 && state.baseline.atStep <= event.step()) {
                keepSnapshot(state.checkpointSnapshots, state.baseline);
            }
        } else if (event.type() == RunEventType.start) {
            if (event.config().precision() != null) {
                state.precision = event.config().precision();
            }
            if (event.config().adamEps() != null && event.config().adamEps() > 0) {
                state.adamEps = event.config().adamEps();
            }
            Long resumedFrom = event.config().resumedFromStep();
            // A restart whose first records already rewound the state (step went back) is not rewound twice.
            if (resumedFrom != null && state.lastStep - resumedFrom
                    > settings.reorderToleranceSteps() * state.stepInterval) {
                rewind(state, resumedFrom, event.run(), event.timeMs(), "restart resumed from step " + resumedFrom,
                        alerts);
            }
        }
        return alerts;
    }

    /**
     * Puts the state back to how it was at {@code toStep}: restores the newest baseline snapshot taken at or
     * before it (keeping the current one when none is that old), closes episodes that began after it, and
     * forgets checkpoints saved after it. The replayed steps then meet a baseline that knows the run.
     */
    private void rewind(TrainingState state, long toStep, String run, long timeMs, String why, List<Alert> out) {
        long fromStep = state.lastStep;
        String reason = "Run rewound to step " + toStep + " (" + why + "), before this episode began.";
        if (state.lossEpisode != null && state.lossEpisode.onsetStep > toStep) {
            TrainingState.LossEpisode episode = state.lossEpisode;
            AlertType type = episode.divergent() ? AlertType.divergence : AlertType.loss_spike;
            Severity severity = episode.divergent() ? Severity.page : Severity.ticket;
            out.add(Alert.firing(run, type, severity, episode.onsetStep).build().resolvedAt(toStep, timeMs, reason));
            state.lossEpisode = null;
        }
        state.lossExcursion = null;
        state.lossRise = null;
        if (state.gradExcursion != null) {
            if (state.gradExcursion.ticketId != null) {
                out.add(Alert.firing(run, AlertType.grad_norm_spike, Severity.ticket, state.gradExcursion.onsetStep)
                        .build().resolvedAt(toStep, timeMs, reason));
            }
            state.gradExcursion = null;
        }
        for (Iterator<Map.Entry<String, PrecursorEpisode>> it = state.precursors.entrySet().iterator();
             it.hasNext(); ) {
            Map.Entry<String, PrecursorEpisode> open = it.next();
            if (open.getValue().onsetStep > toStep) {
                out.add(Alert.firing(run, AlertType.adam_precursor, Severity.ticket, open.getValue().onsetStep)
                        .group(open.getKey()).build().resolvedAt(toStep, timeMs, reason));
                it.remove();
            }
        }
        if (state.openNonFiniteId != null && state.nonFiniteOnsetStep > toStep) {
            out.add(Alert.firing(run, AlertType.nonfinite, Severity.page, state.nonFiniteOnsetStep).build()
                    .resolvedAt(toStep, timeMs, reason));
            state.openNonFiniteId = null;
            state.nonFiniteOnsetStep = -1;
        }

        notTraining.rewind(state, toStep, run, timeMs, reason, out);

        Baseline restored = newestSnapshotAtOrBefore(state, toStep);
        if (restored != null) {
            state.baseline = restored.copy();
            state.loggedStepsAtLastSnapshot = restored.loggedSteps;
        }
        state.riseTestFrom = state.baseline.loggedSteps + settings.warmupSteps();
        state.periodicSnapshots.removeIf(s -> s.atStep > toStep);
        state.checkpointSnapshots.removeIf(s -> s.atStep > toStep);
        state.recentCheckpoints.removeIf(step -> step > toStep);
        state.lastCheckpointStep = state.recentCheckpoints.isEmpty() ? -1
                : state.recentCheckpoints.get(state.recentCheckpoints.size() - 1);
        state.lastStep = toStep;
        state.lastCalmStep = Math.min(state.lastCalmStep, toStep);
        state.lastHealthyStep = Math.min(state.lastHealthyStep, toStep);

        Alert rewound = Alert.firing(run, AlertType.run_rewound, Severity.info, toStep)
                .id(Alert.episodeId(run, AlertType.run_rewound, "from-" + fromStep, toStep))
                .detectedAt(toStep, timeMs)
                .value(toStep)
                .summary(String.format("Run %s rewound from step %d to step %d (%s); detection continues from the "
                                + "baseline as it was at step %d.", run, fromStep, toStep, why,
                        restored == null ? fromStep : restored.atStep))
                .details(TrainingAlertText.evidence("from_step", (double) fromStep, "to_step", (double) toStep,
                        "baseline_from_step", (double) (restored == null ? fromStep : restored.atStep)))
                .build();
        out.add(rewound);
        out.add(rewound.resolvedAt(toStep, timeMs, "A rewind is a one-off event."));
    }

    private static Baseline newestSnapshotAtOrBefore(TrainingState state, long step) {
        Baseline best = null;
        for (List<Baseline> ring : List.of(state.periodicSnapshots, state.checkpointSnapshots)) {
            for (Baseline snapshot : ring) {
                if (snapshot.atStep <= step && (best == null || snapshot.atStep > best.atStep)) {
                    best = snapshot;
                }
            }
        }
        return best;
    }

    /**
     * Adds a snapshot to a bounded ring. When full, it drops the snapshot whose neighbours are closest
     * together (never the oldest or the newest), so the kept ones thin out with age and still reach back
     * past a long rewind.
     */
    private static void keepSnapshot(List<Baseline> ring, Baseline baseline) {
        if (!ring.isEmpty() && ring.get(ring.size() - 1).atStep >= baseline.atStep) {
            return;
        }
        ring.add(baseline.copy());
        if (ring.size() <= TrainingState.MAX_SNAPSHOTS_PER_KIND) {
            return;
        }
        int drop = 1;
        for (int i = 2; i < ring.size() - 1; i++) {
            if (ring.get(i + 1).atStep - ring.get(i - 1).atStep
                    < ring.get(drop + 1).atStep - ring.get(drop - 1).atStep) {
                drop = i;
            }
        }
        ring.remove(drop);
    }

    private static boolean isCalm(TrainingState state) {
        return state.lossEpisode == null && state.lossExcursion == null && state.gradExcursion == null
                && state.openNonFiniteId == null;
    }

    private static void rememberCheckpoint(TrainingState state, long step) {
        List<Long> checkpoints = state.recentCheckpoints;
        if (checkpoints.contains(step)) {
            return;
        }
        int at = 0;
        while (at < checkpoints.size() && checkpoints.get(at) < step) {
            at++;
        }
        checkpoints.add(at, step);
        if (checkpoints.size() > TrainingState.MAX_CHECKPOINTS) {
            checkpoints.remove(0);
        }
        state.lastCheckpointStep = Math.max(state.lastCheckpointStep, step);
    }

    private Alert nonFiniteFiring(TrainingState state, MetricPoint point, boolean lossBad) {
        String what = lossBad ? "loss" : "grad_norm";
        double value = lossBad ? point.loss() : point.gradNorm();
        Long rollback = state.rollbackTarget(point.step(), state.lastHealthyStep);
        Alert alert = Alert.firing(point.run(), AlertType.nonfinite, Severity.page, point.step())
                .detectedAt(point.step(), point.timeMs())
                .metric(what)
                .value(value)
                .rollbackTo(rollback)
                .summary(String.format("Run %s logged %s=%s at step %d; training is broken from here: %s.",
                        point.run(), what, value, point.step(), TrainingAlertText.rollbackAction(rollback)))
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
