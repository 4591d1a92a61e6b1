package io.runwatch.evaluate;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunInput;
import io.runwatch.core.Severity;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a user would write without runwatch, to compare against. Both see records in arrival order (no
 * de-duplication, no rewind handling), skip non-finite values, and raise one episode while their condition
 * holds. Their alerts carry type {@code loss_spike}: the scoring treats a baseline alert as matching any family.
 * The rules use {@link #MIN_FACTOR} and {@link #EMA_SIGMAS}; the evaluation also runs them with the
 * threshold raised until they meet runwatch's false-alert budget.
 */
final class TrainingBaselines {
    static final double MIN_FACTOR = 1.2;
    static final double EMA_ALPHA = 0.02;
    static final double EMA_SIGMAS = 4;
    static final int EMA_WARMUP = 50;

    private TrainingBaselines() {
    }

    /** "Page when loss > 1.2 × its running minimum", with another factor when calibrated. */
    static Detection runningMinimum(double factor) {
        return inputs -> {
            Map<String, double[]> minimum = new HashMap<>();
            Map<String, Alert> open = new HashMap<>();
            List<Alert> out = new ArrayList<>();
            for (RunInput input : inputs) {
                MetricPoint p = input.metric();
                if (p == null || p.loss() == null || !Double.isFinite(p.loss())) {
                    continue;
                }
                double[] min = minimum.computeIfAbsent(p.run(), r -> new double[] {Double.POSITIVE_INFINITY});
                boolean above = p.loss() > factor * min[0];
                track(out, open, p, above, Severity.page, "loss above " + factor + "x its running minimum");
                min[0] = Math.min(min[0], p.loss());
            }
            return out;
        };
    }

    /**
     * "Ticket when loss is 4σ over an EMA of mean and variance" (α = 0.02, 50 records of warm-up), with another
     * number of sigmas when calibrated.
     */
    static Detection emaSigma(double sigmas) {
        return inputs -> {
            Map<String, double[]> ema = new HashMap<>(); // mean, variance, count
            Map<String, Alert> open = new HashMap<>();
            List<Alert> out = new ArrayList<>();
            for (RunInput input : inputs) {
                MetricPoint p = input.metric();
                if (p == null || p.loss() == null || !Double.isFinite(p.loss())) {
                    continue;
                }
                double[] s = ema.computeIfAbsent(p.run(), r -> new double[] {p.loss(), 0, 0});
                boolean above = s[2] >= EMA_WARMUP && p.loss() > s[0] + sigmas * Math.sqrt(s[1]);
                track(out, open, p, above, Severity.ticket, "loss " + sigmas + " sigma over its EMA");
                double delta = p.loss() - s[0];
                s[0] += EMA_ALPHA * delta;
                s[1] = (1 - EMA_ALPHA) * (s[1] + EMA_ALPHA * delta * delta);
                s[2]++;
            }
            return out;
        };
    }

    private static void track(List<Alert> out, Map<String, Alert> open, MetricPoint p, boolean above,
                              Severity severity, String what) {
        Alert current = open.get(p.run());
        if (above && current == null) {
            Alert alert = Alert.firing(p.run(), AlertType.loss_spike, severity, p.step())
                    .detectedAt(p.step(), p.timeMs()).summary(what).build();
            open.put(p.run(), alert);
            out.add(alert);
        } else if (!above && current != null) {
            out.add(current.resolvedAt(p.step(), p.timeMs(), "back under"));
            open.remove(p.run());
        }
    }
}
