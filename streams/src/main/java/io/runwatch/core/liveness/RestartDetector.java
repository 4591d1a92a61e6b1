package io.runwatch.core.liveness;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.Severity;
import java.util.List;
import java.util.Map;

/**
 * {@code restart_storm}: too many restarts (start events of a run that already ran, or steps going backwards
 * without one) within a window, or several restarts in a row without a newer checkpoint — a crash loop. Also
 * keeps the count of steps thrown away by rewinds.
 */
final class RestartDetector {
    private final LivenessSettings settings;

    RestartDetector(LivenessSettings settings) {
        this.settings = settings;
    }

    /**
     * A start event of a run that already ran (or that says it resumed).
     *
     * @param resumedFromStep the checkpoint step it resumed from; null when the trainer did not say
     */
    List<Alert> onRestartEvent(LivenessState state, Long resumedFromStep, long timeMs) {
        LivenessState.Restarts restarts = state.restarts;
        if (resumedFromStep != null && state.position > resumedFromStep) {
            restarts.lostSteps += state.position - resumedFromStep;
        }
        // the trainer did not say where it resumed: assume the newest checkpoint we know of
        long resumeStep = resumedFromStep != null ? resumedFromStep : state.stall.lastCheckpointStep;
        restarts.rewindExplained = true;
        return register(state, resumeStep, timeMs);
    }

    /** A step lower than the run's position: a restart from a checkpoint, announced or not. */
    List<Alert> onRewind(LivenessState state, long step, long timeMs) {
        LivenessState.Restarts restarts = state.restarts;
        // the first step logged after resuming from checkpoint C is about C + the logging interval
        long resumeStep = Math.max(0, step - state.stepsPerRecord);
        restarts.lostSteps += Math.max(0, state.position - resumeStep);
        if (restarts.rewindExplained) {
            restarts.rewindExplained = false;
            return List.of();
        }
        return register(state, resumeStep, timeMs);
    }

    void onCheckpoint(LivenessState state, long step) {
        LivenessState.Restarts restarts = state.restarts;
        restarts.newestCheckpointSinceRestart = Math.max(restarts.newestCheckpointSinceRestart, step);
    }

    private List<Alert> register(LivenessState state, long resumeStep, long timeMs) {
        LivenessState.Restarts restarts = state.restarts;
        restarts.total++;
        if (restarts.recentMs.length != settings.stormRestarts()) {
            restarts.recentMs = new long[settings.stormRestarts()];
            restarts.recentCount = 0;
            restarts.recentNext = 0;
        }
        restarts.recentMs[restarts.recentNext] = timeMs;
        restarts.recentNext = (restarts.recentNext + 1) % restarts.recentMs.length;
        restarts.recentCount = Math.min(restarts.recentCount + 1, restarts.recentMs.length);

        long newestSaved = Math.max(resumeStep, restarts.newestCheckpointSinceRestart);
        boolean progressed = restarts.lastRestartMs < 0 || newestSaved > restarts.resumeStepAtLastRestart;
        restarts.withoutProgress = progressed ? 1 : restarts.withoutProgress + 1;
        restarts.resumeStepAtLastRestart = resumeStep;
        restarts.newestCheckpointSinceRestart = -1;
        restarts.lastRestartMs = timeMs;

        int inWindow = restartsWithin(restarts, timeMs, settings.stormWindowS());
        boolean storm = inWindow >= settings.stormRestarts()
                || restarts.withoutProgress >= settings.stormRestartsWithoutProgress();
        boolean coolingDown = restarts.lastStormFiredMs >= 0
                && timeMs - restarts.lastStormFiredMs < settings.stormCooldownS() * 1000;
        if (!storm || restarts.openId != null || coolingDown) {
            return List.of();
        }
        long onsetStep = Math.max(resumeStep, 0);
        restarts.openId = restarts.key.idFor(state.run, AlertType.restart_storm, onsetStep);
        restarts.openOnsetStep = onsetStep;
        restarts.lastStormFiredMs = timeMs;
        double spanS = (timeMs - oldestWithin(restarts, timeMs, settings.stormWindowS())) / 1000.0;
        return List.of(Alert.firing(state.run, AlertType.restart_storm, Severity.page, onsetStep)
                .id(restarts.openId)
                .detectedAt(Math.max(state.position, 0), timeMs)
                .value(Math.max(inWindow, restarts.withoutProgress))
                .threshold(inWindow >= settings.stormRestarts() ? settings.stormRestarts()
                        : settings.stormRestartsWithoutProgress())
                .rollbackTo(resumeStep >= 0 ? resumeStep : null)
                .summary("Run " + state.run + " is crash-looping: " + inWindow + " restarts in "
                        + Text.duration(spanS) + ", " + restarts.withoutProgress + " in a row without a newer "
                        + "checkpoint (last resumed from step " + resumeStep + "): find and cordon the failing "
                        + "node or fix the crash before it restarts again.")
                .details(Map.of(
                        "restarts_in_window", inWindow,
                        "window_s", settings.stormWindowS(),
                        "restarts_without_progress", restarts.withoutProgress,
                        "restarts_total", restarts.total,
                        "resume_step", resumeStep,
                        "lost_steps_total", restarts.lostSteps))
                .build());
    }

    /** Resolves an open storm once the run has gone a quiet period without restarting and is making progress. */
    List<Alert> checkQuiet(LivenessState state, long nowMs) {
        LivenessState.Restarts restarts = state.restarts;
        if (restarts.openId == null || nowMs - restarts.lastRestartMs < settings.stormQuietS() * 1000
                || state.lastProgressMs <= restarts.lastRestartMs) {
            return List.of();
        }
        return close(state, Math.max(state.position, 0), nowMs, "Run " + state.run + " has not restarted for "
                + Text.duration((nowMs - restarts.lastRestartMs) / 1000.0) + " and is making progress (step "
                + state.position + ").");
    }

    /** Closes an open storm (quiet again, or the run ended); the next storm needs fresh restarts. */
    List<Alert> close(LivenessState state, long step, long timeMs, String why) {
        LivenessState.Restarts restarts = state.restarts;
        if (restarts.openId == null) {
            return List.of();
        }
        Alert resolved = Alert.firing(state.run, AlertType.restart_storm, Severity.page, restarts.openOnsetStep)
                .id(restarts.openId)
                .build().resolvedAt(step, timeMs, why);
        restarts.openId = null;
        restarts.recentCount = 0;
        restarts.recentNext = 0;
        restarts.withoutProgress = 0;
        return List.of(resolved);
    }

    static int restartsWithin(LivenessState.Restarts restarts, long nowMs, double windowS) {
        int count = 0;
        for (int i = 0; i < restarts.recentCount; i++) {
            if (nowMs - restarts.recentMs[i] <= windowS * 1000) {
                count++;
            }
        }
        return count;
    }

    private static long oldestWithin(LivenessState.Restarts restarts, long nowMs, double windowS) {
        long oldest = nowMs;
        for (int i = 0; i < restarts.recentCount; i++) {
            if (nowMs - restarts.recentMs[i] <= windowS * 1000) {
                oldest = Math.min(oldest, restarts.recentMs[i]);
            }
        }
        return oldest;
    }
}
