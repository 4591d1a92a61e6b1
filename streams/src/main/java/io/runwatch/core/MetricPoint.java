package io.runwatch.core;

import java.util.Map;

/**
 * One training step as a trainer logged it. Optional numbers are null when not logged; NaN and infinities
 * are kept as such because catching them is the point.
 *
 * @param timeMs            epoch ms of the step (the record timestamp when the trainer sent none)
 * @param expectNextWithinS the trainer's own promise of when the next record is due (long checkpoint write)
 * @param skippedSteps      optimizer steps the fp16 loss scaler skipped in the interval this record covers
 *                          (Megatron's "number of skipped iterations", DeepSpeed's overflow lines); null if not logged
 */
public record MetricPoint(
        String run,
        long step,
        long timeMs,
        Double loss,
        Double gradNorm,
        Double lr,
        Double tokensPerS,
        Double stepTimeS,
        Double tokens,
        Double lossScale,
        Double valLoss,
        Double expectNextWithinS,
        Map<String, GroupStats> groups,
        Map<String, Double> extras,
        Double skippedSteps) {

    public MetricPoint {
        groups = groups == null ? Map.of() : Map.copyOf(groups);
        extras = extras == null ? Map.of() : Map.copyOf(extras);
    }

    /** Without {@code skipped_steps}, the shape the record had before it was added. */
    public MetricPoint(String run, long step, long timeMs, Double loss, Double gradNorm, Double lr, Double tokensPerS,
                       Double stepTimeS, Double tokens, Double lossScale, Double valLoss, Double expectNextWithinS,
                       Map<String, GroupStats> groups, Map<String, Double> extras) {
        this(run, step, timeMs, loss, gradNorm, lr, tokensPerS, stepTimeS, tokens, lossScale, valLoss,
                expectNextWithinS, groups, extras, null);
    }

    /** A bare step with only a loss: convenient for tests and generators. */
    public static MetricPoint ofLoss(String run, long step, long timeMs, double loss) {
        return new MetricPoint(run, step, timeMs, loss, null, null, null, null, null, null, null, null, null, null);
    }

    public MetricPoint withGradNorm(Double value) {
        return new MetricPoint(run, step, timeMs, loss, value, lr, tokensPerS, stepTimeS, tokens, lossScale, valLoss,
                expectNextWithinS, groups, extras, skippedSteps);
    }

    public MetricPoint withGroups(Map<String, GroupStats> value) {
        return new MetricPoint(run, step, timeMs, loss, gradNorm, lr, tokensPerS, stepTimeS, tokens, lossScale,
                valLoss, expectNextWithinS, value, extras, skippedSteps);
    }

    public MetricPoint withThroughput(Double tokensPerSecond, Double stepSeconds) {
        return new MetricPoint(run, step, timeMs, loss, gradNorm, lr, tokensPerSecond, stepSeconds, tokens,
                lossScale, valLoss, expectNextWithinS, groups, extras, skippedSteps);
    }

    public MetricPoint withExpectNextWithinS(Double seconds) {
        return new MetricPoint(run, step, timeMs, loss, gradNorm, lr, tokensPerS, stepTimeS, tokens, lossScale,
                valLoss, seconds, groups, extras, skippedSteps);
    }

    public MetricPoint withLossScale(Double value) {
        return new MetricPoint(run, step, timeMs, loss, gradNorm, lr, tokensPerS, stepTimeS, tokens, value, valLoss,
                expectNextWithinS, groups, extras, skippedSteps);
    }

    public MetricPoint withSkippedSteps(Double value) {
        return new MetricPoint(run, step, timeMs, loss, gradNorm, lr, tokensPerS, stepTimeS, tokens, lossScale,
                valLoss, expectNextWithinS, groups, extras, value);
    }

    public MetricPoint withLr(Double value) {
        return new MetricPoint(run, step, timeMs, loss, gradNorm, value, tokensPerS, stepTimeS, tokens, lossScale,
                valLoss, expectNextWithinS, groups, extras, skippedSteps);
    }
}
