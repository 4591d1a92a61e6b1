package io.runwatch.core.guard;

import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunEvent;
import io.runwatch.core.RunEventType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Keeps one corrupt step from poisoning a run. A metrics record whose step jumps further ahead of the run's newest
 * step than {@code jumpFactor} × its recent logging interval + {@code jumpMarginSteps} is held as a suspect instead
 * of being processed: taken as the newest step, it would turn every later normal step into a rewind. The records
 * that follow decide:
 * <ul>
 *   <li>{@code confirmRecords} records continuing from it (each ahead of the last by at most the jump or the
 *       limit) confirm it: it
 *       and they are released in order (a run resumed from a later checkpoint without a start event, a log
 *       interval that grew);</li>
 *   <li>{@code confirmRecords} records at the old pace refuse it: it is dead-lettered as {@code implausible_step},
 *       and those records were processed as they came, so a NaN among them pages at once;</li>
 *   <li>another implausible jump refuses the held records and becomes the suspect;</li>
 *   <li>a {@code start} event resuming at or after the suspect, or a {@code checkpoint} event at or after it,
 *       confirms it; any other {@code start} and an {@code end} refuse it.</li>
 * </ul>
 * A {@code start} with {@code config.resumed_from_step} sets the newest step to it, so a resume that jumps forward
 * is expected; a {@code start} without one forgets the newest step (the next record sets it). Records at or behind
 * the newest step pass (late records and rewinds are the detectors' business). Events always pass.
 */
public final class StepJumpGuard {
    private final StepGuardSettings settings;

    public StepJumpGuard(StepGuardSettings settings) {
        this.settings = settings;
    }

    /** Decides one input of the run whose state is {@code state} (updated in place). */
    public GuardDecision onInput(StepGuardState state, GuardedInput guarded) {
        state.lastSeenMs = Math.max(state.lastSeenMs, guarded.input().timeMs());
        if (guarded.input().metric() != null) {
            return onMetric(state, guarded);
        }
        if (guarded.input().event() != null) {
            return onEvent(state, guarded);
        }
        return new GuardDecision(List.of(guarded), List.of());
    }

    /** Gives up the held records of a run about to be forgotten (state expiry): they are refused. */
    public List<GuardDecision.Refused> expire(StepGuardState state) {
        return refuseHeld(state, "the run went silent before the jump was confirmed");
    }

    /** How far ahead of the newest step a record may be: factor × recent interval + margin. */
    public long limit(StepGuardState state) {
        double limit = settings.jumpFactor() * interval(state) + settings.jumpMarginSteps();
        return limit >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) limit;
    }

    /** The run's recent logging interval: the largest of its last forward increments (1 before any). */
    static long interval(StepGuardState state) {
        long interval = 1;
        for (long increment : state.recentIncrements) {
            interval = Math.max(interval, increment);
        }
        return interval;
    }

    private GuardDecision onMetric(StepGuardState state, GuardedInput guarded) {
        MetricPoint point = guarded.input().metric();
        long step = point.step();
        long limit = limit(state);
        if (state.held.isEmpty()) {
            if (state.newestStep >= 0 && step - state.newestStep > limit) {
                state.held.add(guarded);
                state.againstSuspect = 0;
                state.suspectAfterStep = state.newestStep;
                return new GuardDecision(List.of(), List.of());
            }
            accept(state, step);
            return new GuardDecision(List.of(guarded), List.of());
        }
        long newestHeld = state.held.get(state.held.size() - 1).step();
        // A record continues the jump when it is ahead of it by no more than the jump itself (or the old limit):
        // a run logged every 5000 steps from its start goes 0, 5000, 10000.
        long continuation = Math.max(limit, state.held.get(0).step() - state.suspectAfterStep);
        if (step > newestHeld && step - newestHeld <= continuation) {
            state.held.add(guarded);
            if (state.held.size() - 1 >= settings.confirmRecords()) {
                return new GuardDecision(confirmHeld(state), List.of());
            }
            return new GuardDecision(List.of(), List.of());
        }
        if (state.newestStep < 0 || step - state.newestStep <= limit) {
            accept(state, step);
            state.againstSuspect++;
            List<GuardDecision.Refused> refused = state.againstSuspect >= settings.confirmRecords()
                    ? refuseHeld(state, "the run went on at its old pace for " + state.againstSuspect + " records")
                    : List.of();
            return new GuardDecision(List.of(guarded), refused);
        }
        // Another implausible jump, not continuing the suspect: the suspect was wrong, this one is the new suspect.
        List<GuardDecision.Refused> refused = refuseHeld(state, "a different jump (to step " + step
                + ") followed it");
        state.held.add(guarded);
        state.againstSuspect = 0;
        state.suspectAfterStep = state.newestStep;
        return new GuardDecision(List.of(), refused);
    }

    private GuardDecision onEvent(StepGuardState state, GuardedInput guarded) {
        RunEvent event = guarded.input().event();
        List<GuardedInput> release = new ArrayList<>();
        List<GuardDecision.Refused> refused = List.of();
        if (!state.held.isEmpty()) {
            long suspect = state.held.get(0).step();
            boolean confirms = event.step() != null && event.step() >= suspect
                    && (event.type() == RunEventType.checkpoint || event.type() == RunEventType.start);
            if (confirms) {
                release.addAll(confirmHeld(state));
            } else if (event.type() != RunEventType.checkpoint) {
                refused = refuseHeld(state, event.type() == RunEventType.end
                        ? "the run ended before the jump was confirmed"
                        : "the run restarted before the jump was confirmed");
            }
        }
        if (event.type() == RunEventType.start) {
            state.newestStep = event.step() != null ? event.step() : -1;
        }
        release.add(guarded);
        return new GuardDecision(release, refused);
    }

    private List<GuardedInput> confirmHeld(StepGuardState state) {
        List<GuardedInput> release = new ArrayList<>(state.held);
        state.held.clear();
        state.againstSuspect = 0;
        state.newestStep = release.get(0).step(); // the jump itself is not a logging interval
        for (GuardedInput input : release.subList(1, release.size())) {
            accept(state, input.step());
        }
        return release;
    }

    private List<GuardDecision.Refused> refuseHeld(StepGuardState state, String why) {
        if (state.held.isEmpty()) {
            return List.of();
        }
        List<GuardDecision.Refused> refused = new ArrayList<>();
        long suspect = state.held.get(0).step();
        long limit = limit(state);
        for (GuardedInput input : state.held) {
            refused.add(new GuardDecision.Refused(input, "step " + input.step() + (input.step() == suspect
                    ? " jumped " + (suspect - state.suspectAfterStep) + " steps ahead of step "
                    + state.suspectAfterStep
                    : " continued the jump to step " + suspect) + " (limit " + limit + ": "
                    + settings.jumpFactor() + " x the recent logging interval + " + settings.jumpMarginSteps()
                    + "); " + why));
        }
        state.held.clear();
        state.againstSuspect = 0;
        return Collections.unmodifiableList(refused);
    }

    /** An accepted step: ahead of the newest it sets the pace; far behind it is a rewind; just behind, late. */
    private void accept(StepGuardState state, long step) {
        if (state.newestStep < 0) {
            state.newestStep = step;
            return;
        }
        if (step > state.newestStep) {
            state.recentIncrements.add(step - state.newestStep);
            if (state.recentIncrements.size() > StepGuardState.RECENT_INCREMENTS) {
                state.recentIncrements.remove(0);
            }
            state.newestStep = step;
        } else if (state.newestStep - step > settings.reorderToleranceSteps() * interval(state)) {
            state.newestStep = step; // a rewind: the run goes on from here
        }
    }
}
