package io.runwatch.topology;

/** When a run was last heard of, and whether it ended: decides when its metric series expire. */
public final class RunActivity {
    public long lastSeenMs;
    public long endedAtMs = -1;

    public boolean expired(long nowMs, long retentionMs) {
        long since = endedAtMs >= 0 ? endedAtMs : lastSeenMs;
        return nowMs - since > retentionMs;
    }
}
