package io.runwatch.core.liveness;

/**
 * What a run's liveness looks like between two changes of its state: its gauges as a function of the time alone,
 * and the earliest time at which {@link LivenessMonitor#onTick} can do anything for it. A run's state changes only
 * on its records and on a tick that raises or resolves, so the topology takes a snapshot then and, until the next
 * change, refreshes the run's gauges and decides whether to judge it without reading its state.
 *
 * @param nextCheckMs          {@link LivenessMonitor#onTick} returns nothing before this time (on the clock the
 *                             ticks are given); {@link Long#MAX_VALUE} when only a record can change that
 * @param ended                the run sent {@code end}
 * @param endedMs              its time, when ended
 * @param firstSeenMs          earliest record time; -1 before the first
 * @param lastAliveMs          newest step record or start; -1 before the first
 * @param productiveMs         productive time counted so far (see {@link LivenessMonitor#goodputRatio})
 * @param silenceCanBeProductive the current silence counts as productive while within the deadline
 * @param deadlineS            the stall deadline as of the newest record
 */
public record LivenessSnapshot(
        long nextCheckMs,
        boolean ended,
        long endedMs,
        long firstSeenMs,
        long lastAliveMs,
        double productiveMs,
        boolean silenceCanBeProductive,
        double deadlineS,
        long lostSteps,
        double throughputRatio,
        long restartsTotal) {

    /** The gauges at {@code nowMs}: what {@link LivenessMonitor#gauges} returns for the state snapshotted. */
    public LivenessGauges gaugesAt(long nowMs) {
        boolean unknown = ended || lastAliveMs < 0;
        double silenceS = unknown ? Double.NaN : Math.max(0, (nowMs - lastAliveMs) / 1000.0);
        return new LivenessGauges(goodputRatio(nowMs), lostSteps, unknown ? Double.NaN : deadlineS, silenceS,
                throughputRatio, restartsTotal);
    }

    /** See {@link LivenessMonitor#goodputRatio}. */
    public double goodputRatio(long nowMs) {
        long endMs = ended ? endedMs : Math.max(nowMs, lastAliveMs);
        if (firstSeenMs < 0 || endMs <= firstSeenMs) {
            return Double.NaN;
        }
        double productive = productiveMs;
        if (!ended && silenceCanBeProductive) {
            double silenceMs = endMs - lastAliveMs;
            if (silenceMs <= deadlineS * 1000) {
                productive += silenceMs;
            }
        }
        return Math.min(1, Math.max(0, productive / (endMs - firstSeenMs)));
    }
}
