package io.runwatch.core.liveness;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.Severity;
import io.runwatch.core.stats.RobustStats;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code throughput_drop}: the rolling median of the run's speed (tokens/s, else 1 / step time, else steps per
 * second of record time) stays below its own slowly-moving baseline by more than a fraction for a number of
 * steps. Intervals around checkpoint saves, declared waits, stalls and warm-up are not looked at.
 */
final class ThroughputDetector {
    /** A median's standard error is about 1.25 σ / √n; a drop must also be this many of those to count. */
    private static final double NOISE_MARGIN = 4;

    private final LivenessSettings settings;
    private final double baselineDecay;

    ThroughputDetector(LivenessSettings settings) {
        this.settings = settings;
        this.baselineDecay = DecayingLogHistogram.decayForHalfLife(settings.throughputHalfLifeRecords());
    }

    /**
     * One new step record.
     *
     * @param intervalS  seconds since the previous step record of the same segment, NaN if there is none
     * @param stepDelta  steps since that record
     * @param excluded   the interval was a checkpoint save, a declared wait, a stall or warm-up
     */
    List<Alert> onStep(LivenessState state, MetricPoint point, double intervalS, long stepDelta, boolean excluded) {
        LivenessState.Throughput tp = state.throughput;
        int source = sourceOf(point);
        double speed = speedOf(point, source, intervalS, stepDelta);
        List<Alert> alerts = List.of();
        if (source != tp.source) {
            alerts = close(state, point.step(), point.timeMs(), "The run's throughput signal changed; baseline "
                    + "re-learned.");
            reset(tp, source);
        }
        if (excluded || !(speed > 0) || Double.isInfinite(speed)) {
            return alerts;
        }
        push(tp, speed);
        if (tp.windowCount < tp.window.length) {
            return alerts;
        }
        double[] sorted = Arrays.copyOf(tp.window, tp.window.length);
        Arrays.sort(sorted);
        double median = RobustStats.medianOfSorted(sorted);
        tp.lastMedian = median;
        if (tp.baseline < 0) {
            tp.baseline = median;
            tp.medianNoise = medianNoise(sorted, median);
            return alerts;
        }
        double drop = effectiveDrop(tp);
        if (tp.openId == null) {
            return watchForDrop(state, point, sorted, median, drop);
        }
        return watchForRecovery(state, point, median, drop);
    }

    private List<Alert> watchForDrop(LivenessState state, MetricPoint point, double[] sorted, double median,
                                     double drop) {
        LivenessState.Throughput tp = state.throughput;
        double threshold = tp.baseline * (1 - drop);
        if (median >= threshold) {
            tp.stretchStartStep = -1;
            // only healthy values move the baseline, so a slowdown cannot teach the baseline to accept it
            tp.baseline = baselineDecay * tp.baseline + (1 - baselineDecay) * median;
            tp.medianNoise = baselineDecay * tp.medianNoise + (1 - baselineDecay) * medianNoise(sorted, median);
            return List.of();
        }
        if (tp.stretchStartStep < 0) {
            tp.stretchStartStep = point.step();
        }
        long heldSteps = point.step() - tp.stretchStartStep;
        if (heldSteps < settings.throughputHoldSteps()) {
            return List.of();
        }
        long onsetStep = tp.stretchStartStep;
        tp.openId = tp.key.idFor(state.run, AlertType.throughput_drop, onsetStep);
        tp.openOnsetStep = onsetStep;
        tp.openBaseline = tp.baseline;
        tp.stretchStartStep = -1;
        double slower = 1 - median / tp.baseline;
        return List.of(Alert.firing(state.run, AlertType.throughput_drop, Severity.ticket, onsetStep)
                .id(tp.openId)
                .detectedAt(point.step(), point.timeMs())
                .metric(sourceName(tp.source))
                .value(median)
                .threshold(threshold)
                .summary("Run " + state.run + " is " + Text.percent(slower) + " slower than its own baseline since "
                        + "step " + onsetStep + " (" + Text.number(median) + " vs " + Text.number(tp.baseline) + " "
                        + unit(tp.source) + ", held " + heldSteps + " steps): look for a straggler, throttled GPU "
                        + "or slow storage/data loader; not urgent.")
                .details(Map.of(
                        "baseline", tp.baseline,
                        "current", median,
                        "slower_fraction", slower,
                        "drop_threshold_fraction", drop,
                        "held_steps", heldSteps,
                        "window_records", tp.window.length))
                .build());
    }

    private List<Alert> watchForRecovery(LivenessState state, MetricPoint point, double median, double drop) {
        LivenessState.Throughput tp = state.throughput;
        if (median < tp.openBaseline * (1 - drop / 2)) {
            tp.stretchStartStep = -1;
            return List.of();
        }
        if (tp.stretchStartStep < 0) {
            tp.stretchStartStep = point.step();
        }
        if (point.step() - tp.stretchStartStep < settings.throughputHoldSteps()) {
            return List.of();
        }
        tp.stretchStartStep = -1;
        return close(state, point.step(), point.timeMs(), "Run " + state.run + " is back to "
                + Text.percent(median / tp.openBaseline) + " of its baseline throughput for "
                + settings.throughputHoldSteps() + " steps.");
    }

    /** Closes an open drop (recovered, run ended, signal changed). */
    List<Alert> close(LivenessState state, long step, long timeMs, String why) {
        LivenessState.Throughput tp = state.throughput;
        if (tp.openId == null) {
            return List.of();
        }
        Alert resolved = Alert.firing(state.run, AlertType.throughput_drop, Severity.ticket, tp.openOnsetStep)
                .id(tp.openId)
                .metric(sourceName(tp.source)).build().resolvedAt(step, timeMs, why);
        tp.openId = null;
        return List.of(resolved);
    }

    /** After a restart: the window refills (warm-up is excluded by the caller); the baseline is kept. */
    void startSegment(LivenessState state) {
        LivenessState.Throughput tp = state.throughput;
        tp.windowCount = 0;
        tp.windowNext = 0;
        tp.stretchStartStep = -1;
    }

    /** Current speed over the baseline (1 = normal pace); NaN until both are known. */
    static double ratio(LivenessState.Throughput tp) {
        return tp.baseline > 0 && tp.lastMedian > 0 ? tp.lastMedian / tp.baseline : Double.NaN;
    }

    private double effectiveDrop(LivenessState.Throughput tp) {
        return Math.min(0.9, Math.max(settings.throughputDropFraction(), NOISE_MARGIN * tp.medianNoise));
    }

    private void reset(LivenessState.Throughput tp, int source) {
        tp.source = source;
        tp.window = new double[settings.throughputWindowRecords()];
        tp.windowCount = 0;
        tp.windowNext = 0;
        tp.baseline = -1;
        tp.medianNoise = 0;
        tp.stretchStartStep = -1;
        tp.lastMedian = -1;
    }

    private static void push(LivenessState.Throughput tp, double speed) {
        tp.window[tp.windowNext] = speed;
        tp.windowNext = (tp.windowNext + 1) % tp.window.length;
        tp.windowCount = Math.min(tp.windowCount + 1, tp.window.length);
    }

    private static int sourceOf(MetricPoint point) {
        if (isPositive(point.tokensPerS())) {
            return LivenessState.Throughput.TOKENS_PER_S;
        }
        if (isPositive(point.stepTimeS())) {
            return LivenessState.Throughput.STEP_TIME;
        }
        return LivenessState.Throughput.RECORD_TIME;
    }

    private static double speedOf(MetricPoint point, int source, double intervalS, long stepDelta) {
        return switch (source) {
            case LivenessState.Throughput.TOKENS_PER_S -> point.tokensPerS();
            case LivenessState.Throughput.STEP_TIME -> 1 / point.stepTimeS();
            default -> stepDelta > 0 && intervalS > 0 ? stepDelta / intervalS : Double.NaN;
        };
    }

    private static boolean isPositive(Double value) {
        return value != null && value > 0 && !value.isInfinite();
    }

    /** Relative standard error of the window's median, from its MAD (robust to the odd slow step). */
    private static double medianNoise(double[] sorted, double median) {
        double sigma = RobustStats.MAD_TO_SIGMA * madOfSorted(sorted, median) / median;
        return 1.2533 * sigma / Math.sqrt(sorted.length);
    }

    /**
     * {@link RobustStats#mad} of values already sorted ascending, without its sort (this runs on every record):
     * the deviations below and above the center are each already ordered, so one merge orders them all. The same
     * multiset of deviations, so the same median.
     */
    static double madOfSorted(double[] sorted, double center) {
        int n = sorted.length;
        int above = 0;
        while (above < n && sorted[above] < center) {
            above++;
        }
        double[] deviations = new double[n];
        int below = above - 1;
        for (int k = 0; k < n; k++) {
            double down = below >= 0 ? Math.abs(sorted[below] - center) : Double.POSITIVE_INFINITY;
            double up = above < n ? Math.abs(sorted[above] - center) : Double.POSITIVE_INFINITY;
            if (below >= 0 && (above >= n || down <= up)) {
                deviations[k] = down;
                below--;
            } else {
                deviations[k] = up;
                above++;
            }
        }
        return RobustStats.medianOfSorted(deviations);
    }

    static String sourceName(int source) {
        return switch (source) {
            case LivenessState.Throughput.TOKENS_PER_S -> "tokens_per_s";
            case LivenessState.Throughput.STEP_TIME -> "step_time_s";
            default -> "steps_per_s_record_time";
        };
    }

    private static String unit(int source) {
        return source == LivenessState.Throughput.TOKENS_PER_S ? "tokens/s" : "steps/s";
    }
}
