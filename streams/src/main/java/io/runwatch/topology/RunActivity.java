package io.runwatch.topology;

/**
 * When a run was last heard of and whether it ended: decides when its metric series expire (series retention)
 * and when its detector state is dropped (state retention: at once after series expiry for an ended run; after
 * the longer state retention for a run that just went silent, which may yet resume).
 */
public final class RunActivity {
    public long lastSeenMs = Long.MIN_VALUE; // so that the first record always counts as a change
    public long endedAtMs = -1;
    /** True once the run's series were removed, so expiry happens once, not on every tick. */
    public boolean seriesRemoved;

    public boolean seriesExpired(long nowMs, long seriesRetentionMs) {
        long since = endedAtMs >= 0 ? endedAtMs : lastSeenMs;
        return nowMs - since > seriesRetentionMs;
    }

    /** The training series' clock: a shorter retention after the end event than after the last record. */
    public boolean trainingSeriesExpired(long nowMs, long finishedRetentionMs, long idleRetentionMs) {
        return endedAtMs >= 0 ? nowMs - endedAtMs > finishedRetentionMs : nowMs - lastSeenMs > idleRetentionMs;
    }

    public boolean stateExpired(long nowMs, long seriesRetentionMs, long stateRetentionMs) {
        return endedAtMs >= 0 ? seriesExpired(nowMs, seriesRetentionMs) : nowMs - lastSeenMs > stateRetentionMs;
    }

    /**
     * The earliest time at which the training tick's expiry has something to do for this run (its training
     * series expire, or its state does); {@link Long#MAX_VALUE} when never. Each check above is strict
     * ({@code now - since > retention}), so it is first true one millisecond after {@code since + retention}.
     */
    public long nextTrainingExpiryMs(long finishedRetentionMs, long idleRetentionMs, long seriesRetentionMs,
                                     long stateRetentionMs) {
        if (endedAtMs < 0 && lastSeenMs == Long.MIN_VALUE) {
            return Long.MAX_VALUE; // never seen: nothing to expire from
        }
        long stateExpiry = endedAtMs >= 0 ? after(endedAtMs, seriesRetentionMs) : after(lastSeenMs, stateRetentionMs);
        if (seriesRemoved) {
            return stateExpiry;
        }
        long seriesExpiry = endedAtMs >= 0 ? after(endedAtMs, finishedRetentionMs) : after(lastSeenMs, idleRetentionMs);
        return Math.min(seriesExpiry, stateExpiry);
    }

    private static long after(long sinceMs, long retentionMs) {
        return sinceMs > Long.MAX_VALUE - retentionMs - 1 ? Long.MAX_VALUE : sinceMs + retentionMs + 1;
    }

    /** Records a new record of the run; returns true when anything changed (so the store needs a write). */
    public boolean seen(long timeMs, boolean isEnd) {
        long lastSeen = Math.max(lastSeenMs, timeMs);
        long endedAt = isEnd ? timeMs : endedAtMs >= 0 && timeMs > endedAtMs
                ? -1 // the run was restarted after its end event
                : endedAtMs;
        boolean changed = lastSeen != lastSeenMs || endedAt != endedAtMs || seriesRemoved;
        lastSeenMs = lastSeen;
        endedAtMs = endedAt;
        seriesRemoved = false;
        return changed;
    }
}
