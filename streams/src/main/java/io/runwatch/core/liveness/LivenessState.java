package io.runwatch.core.liveness;

/** What the liveness detectors remember about one run; plain fields, stored as JSON. */
public final class LivenessState {
    /** Record time (epoch ms) of the newest step; -1 before the first. */
    public long lastProgressMs = -1;
    public long lastStep = -1;
    public boolean ended;
}
