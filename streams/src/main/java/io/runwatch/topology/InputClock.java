package io.runwatch.topology;

/**
 * The time one task judges silence (stalls) by, live. Silence is measured from record times, so judging it on the
 * wall clock is wrong while the task works through a backlog (after downtime, or on taking over a lagging
 * partition): every run would look silent for as long as the task is behind. This clock is
 * {@code min(wall now, newest record time processed + wall time since that record was processed)}: the wall clock
 * when caught up (live records are processed within a second of their time) and the backlog's own time while
 * catching up. A record stamped ahead of the wall clock (a skewed trainer clock) cannot move it past the wall clock.
 *
 * <p>While no record at all arrives the task cannot be behind, so after {@code idleMs} without one it is the wall
 * clock: input that stopped (every run stalled) pages on the true silence, not on one shortened by the lag the
 * last catch-up had. Right after the task starts it cannot tell a backlog from idle input: it judges nothing until
 * a record arrives or {@code idleMs} passed without one. Kept in memory per task: it describes this process's
 * catch-up, not state to restore.
 */
final class InputClock {
    private static final long UNSET = Long.MIN_VALUE;

    private final long idleMs;
    /** Wall time the task first ticked or processed a record (the task's start, to within one tick). */
    private long startedAtMs = UNSET;
    private long newestRecordMs = UNSET;
    private long newestProcessedAtMs = UNSET;
    private long lastProcessedAtMs = UNSET;

    InputClock(long idleMs) {
        this.idleMs = idleMs;
    }

    /** A record with time {@code recordTimeMs} was processed at wall time {@code wallMs}. */
    void processed(long recordTimeMs, long wallMs) {
        start(wallMs);
        lastProcessedAtMs = wallMs;
        if (newestRecordMs == UNSET || recordTimeMs > newestRecordMs) {
            newestRecordMs = recordTimeMs;
            newestProcessedAtMs = wallMs;
        }
    }

    /** False while the task has processed nothing and {@code idleMs} has not yet passed: no stall is judged. */
    boolean ready(long wallMs) {
        start(wallMs);
        return newestRecordMs != UNSET || wallMs - startedAtMs >= idleMs;
    }

    /** The time to judge silence by at wall time {@code wallMs}. */
    long nowMs(long wallMs) {
        if (newestRecordMs == UNSET || wallMs - lastProcessedAtMs >= idleMs) {
            return wallMs;
        }
        if (newestRecordMs >= wallMs) {
            return wallMs; // stamped ahead of the wall clock; also keeps the sum below from overflowing
        }
        return Math.min(wallMs, newestRecordMs + Math.max(0, wallMs - newestProcessedAtMs));
    }

    private void start(long wallMs) {
        if (startedAtMs == UNSET) {
            startedAtMs = wallMs;
        }
    }
}
