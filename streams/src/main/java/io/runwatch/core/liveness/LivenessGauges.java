package io.runwatch.core.liveness;

/**
 * Per-run numbers the metrics layer exports (see {@link LivenessMonitor#gauges}). NaN where not yet known.
 *
 * @param goodputRatio      {@code runwatch_run_goodput_ratio{run}}
 * @param lostSteps         {@code runwatch_run_lost_steps_total{run}}
 * @param stallDeadlineS    {@code runwatch_run_stall_deadline_seconds{run}}: silence that would page now
 * @param silenceS          {@code runwatch_run_silence_seconds{run}}: time since the run last reported a step
 * @param throughputRatio   {@code runwatch_run_throughput_ratio{run}}: rolling median speed / baseline
 * @param restartsTotal     {@code runwatch_run_restarts_total{run}}
 */
public record LivenessGauges(
        double goodputRatio,
        long lostSteps,
        double stallDeadlineS,
        double silenceS,
        double throughputRatio,
        long restartsTotal) {
}
