package io.runwatch.core.guard;

import java.util.ArrayList;
import java.util.List;

/**
 * Per-run state of the {@link StepJumpGuard}, a few hundred bytes plus at most {@code confirmRecords + 1} held
 * records. Public fields: it is serialized into a changelogged store.
 */
public final class StepGuardState {
    static final int RECENT_INCREMENTS = 8;

    /** Newest accepted step; -1 until the run's first record (or after a start without a resume step). */
    public long newestStep = -1;
    /** The last forward increments between accepted steps, oldest first: the run's recent logging interval. */
    public List<Long> recentIncrements = new ArrayList<>();
    /** The suspect first, then the records that continue from it. Empty when nothing is held. */
    public List<GuardedInput> held = new ArrayList<>();
    /** The newest step when the suspect arrived: what it jumped from. */
    public long suspectAfterStep = -1;
    /** Records at the old pace since the suspect arrived. */
    public int againstSuspect;
    /** Record time of the run's newest input, for expiry. */
    public long lastSeenMs = Long.MIN_VALUE;
}
