package io.runwatch.core.liveness;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.Severity;
import java.util.List;
import java.util.Map;

/**
 * {@code stall}: a run that stops reporting steps for longer than its deadline. The deadline is learned from the
 * run's own record intervals (warm-up, checkpoint saves, declared waits and stalls excluded), never below a
 * floor, stretched around checkpoint saves, and replaced by the trainer's own declaration when it sends one.
 */
final class StallDetector {
    private final LivenessSettings settings;
    private final double intervalDecay;
    private final double longestDecay;

    StallDetector(LivenessSettings settings) {
        this.settings = settings;
        this.intervalDecay = DecayingLogHistogram.decayForHalfLife(settings.historyHalfLifeRecords());
        // the longest pause is remembered longer than the bulk: periodic evaluations are rare but regular
        this.longestDecay = DecayingLogHistogram.decayForHalfLife(5.0 * settings.historyHalfLifeRecords());
    }

    /** Seconds of silence after which the run counts as stalled, as of its newest record. */
    double deadlineS(LivenessState state) {
        if (state.declaredNextS >= 0) {
            // a declaration stretches the wait but cannot make the next record due sooner than the run's own
            // pace: a trainer that slowed down still declares its save time plus the step time it used to have
            return Math.max(state.declaredNextS + settings.declaredGraceS(), paceDeadlineS(state.stall));
        }
        double deadline = learnedDeadlineS(state.stall);
        if (state.firstStepPending) {
            deadline = Math.max(deadline, settings.startupGraceS());
        }
        if (state.checkpointInInterval || checkpointDue(state)) {
            deadline += checkpointAllowanceS(state.stall);
        }
        return deadline;
    }

    /** The deadline between two ordinary records, from the run's own history. */
    double learnedDeadlineS(LivenessState.Stall stall) {
        if (stall.intervals.isEmpty()) {
            return Math.max(settings.stallFloorS(), settings.startupGraceS());
        }
        return Math.max(settings.stallFloorS(), paceDeadlineS(stall));
    }

    /** The run's learned intervals and pauses alone (no floor); 0 before any was learned. */
    private double paceDeadlineS(LivenessState.Stall stall) {
        if (stall.intervals.isEmpty()) {
            return 0;
        }
        double high = stall.intervals.quantile(settings.stallQuantile());
        return Math.max(settings.stallMultiplier() * high,
                settings.stallLongestPauseMultiplier() * stall.longestIntervalS);
    }

    /** The run's median record interval, seconds; 0 before any was learned. */
    static double typicalIntervalS(LivenessState.Stall stall) {
        return stall.intervals.isEmpty() ? 0 : stall.intervals.quantile(0.5);
    }

    /** The run is about to reach its next periodic checkpoint step, so a save pause may be under way. */
    static boolean checkpointDue(LivenessState state) {
        LivenessState.Stall stall = state.stall;
        return stall.checkpointPeriodSteps > 0
                && state.position + state.stepsPerRecord >= stall.lastCheckpointStep + stall.checkpointPeriodSteps;
    }

    /** Save times vary with storage load, so the grace stays a minimum even once the run's own pause is known. */
    private double checkpointAllowanceS(LivenessState.Stall stall) {
        return Math.max(settings.checkpointGraceS(), settings.checkpointPauseMultiplier() * stall.checkpointPauseS);
    }

    /**
     * Learns from the interval that just ended with a step record of the same run segment.
     *
     * @param stalled the interval raised a stall or exceeded its deadline: it tells nothing about normal pace
     */
    void learnInterval(LivenessState state, double intervalS, boolean stalled) {
        LivenessState.Stall stall = state.stall;
        if (!(intervalS >= 0)) {
            return;
        }
        if (stalled) {
            // a silence that ended by itself (no restart) was most likely an undeclared evaluation or save:
            // remember it as a pause so its next occurrence does not page again; the bulk stays untouched
            if (state.declaredNextS < 0 && !state.checkpointInInterval) {
                stall.longestIntervalS = Math.max(intervalS, stall.longestIntervalS * longestDecay);
            }
            return;
        }
        if (state.checkpointInInterval) {
            double typical = stall.intervals.isEmpty() ? 0 : stall.intervals.quantile(0.5);
            double pause = Math.max(0, intervalS - typical);
            stall.checkpointPauseS = Math.max(pause, 0.7 * stall.checkpointPauseS);
            return;
        }
        if (state.declaredNextS >= 0 || state.recordsSinceStart <= settings.warmupRecords()) {
            return;
        }
        stall.intervals.add(intervalS, intervalDecay);
        stall.longestIntervalS = Math.max(intervalS, stall.longestIntervalS * longestDecay);
    }

    void onCheckpoint(LivenessState state, long step) {
        LivenessState.Stall stall = state.stall;
        if (step > stall.lastCheckpointStep) {
            if (stall.lastCheckpointStep >= 0) {
                stall.checkpointPeriodSteps = step - stall.lastCheckpointStep;
            }
            stall.lastCheckpointStep = step;
        }
        state.checkpointInInterval = true;
    }

    /** Called on every tick: pages once when the silence outlasts the deadline. */
    List<Alert> check(LivenessState state, long nowMs) {
        LivenessState.Stall stall = state.stall;
        if (state.ended || state.lastAliveMs < 0 || stall.openId != null) {
            return List.of();
        }
        double silenceS = (nowMs - state.lastAliveMs) / 1000.0;
        double deadlineS = deadlineS(state);
        if (!(silenceS > deadlineS)) {
            return List.of();
        }
        long onsetStep = Math.max(state.position, 0);
        stall.openId = stall.key.idFor(state.run, AlertType.stall, onsetStep);
        stall.openOnsetStep = onsetStep;
        stall.stalledThisInterval = true;
        Long rollback = state.stall.lastCheckpointStep >= 0 ? state.stall.lastCheckpointStep : null;
        return List.of(Alert.firing(state.run, AlertType.stall, Severity.page, onsetStep)
                .id(stall.openId)
                .detectedAt(onsetStep, nowMs)
                .value(silenceS)
                .threshold(deadlineS)
                .rollbackTo(rollback)
                .summary(summary(state, silenceS, deadlineS, onsetStep, rollback))
                .details(Map.of(
                        "silence_s", silenceS,
                        "deadline_s", deadlineS,
                        "learned_deadline_s", learnedDeadlineS(stall),
                        "declared", state.declaredNextS >= 0,
                        "during_checkpoint", state.checkpointInInterval || checkpointDue(state),
                        "before_first_step", state.firstStepPending,
                        "last_alive_ms", state.lastAliveMs))
                .build());
    }

    private String summary(LivenessState state, double silenceS, double deadlineS, long onsetStep, Long rollback) {
        String since = state.firstStepPending ? "since it (re)started at step " + onsetStep
                : "after step " + onsetStep;
        boolean paceWon = deadlineS > state.declaredNextS + settings.declaredGraceS();
        String basis = state.declaredNextS >= 0 ? (paceWon ? "its own pace; the trainer declared less"
                : "declared by the trainer")
                : state.firstStepPending ? "startup grace" : "learned from its own step intervals";
        String action = rollback != null ? "restart it from checkpoint " + rollback
                : "restart it from its newest checkpoint";
        return "Run " + state.run + " has reported no new step for " + Text.duration(silenceS) + " " + since
                + " (deadline " + Text.duration(deadlineS) + ", " + basis + "): check whether the job is hung "
                + "(NCCL flight recorder, stuck ranks, dead node) and " + action + ".";
    }

    /** The run reported again (a step or a start): resolves an open stall. */
    List<Alert> onAlive(LivenessState state, long step, long timeMs, String how) {
        LivenessState.Stall stall = state.stall;
        if (stall.openId == null) {
            return List.of();
        }
        double silenceS = (timeMs - state.lastAliveMs) / 1000.0;
        return List.of(resolve(state, step, timeMs,
                "Run " + state.run + " " + how + " after " + Text.duration(silenceS) + " of silence."));
    }

    /** Closes an open stall for another reason (the run ended). */
    List<Alert> close(LivenessState state, long step, long timeMs, String why) {
        return state.stall.openId == null ? List.of() : List.of(resolve(state, step, timeMs, why));
    }

    private Alert resolve(LivenessState state, long step, long timeMs, String why) {
        LivenessState.Stall stall = state.stall;
        Alert resolved = Alert.firing(state.run, AlertType.stall, Severity.page, stall.openOnsetStep)
                .id(stall.openId)
                .build()
                .resolvedAt(step, timeMs, why);
        stall.openId = null;
        return resolved;
    }
}
