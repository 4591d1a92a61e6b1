package io.runwatch.core.training;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertState;
import io.runwatch.core.AlertType;
import io.runwatch.core.GroupStats;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunEvent;
import io.runwatch.core.Severity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Seeded loss curves and a small driver for the training-health unit tests. */
final class TrainingTestRuns {
    static final String RUN = "r1";

    private TrainingTestRuns() {
    }

    /** A power-law loss curve in log space with Gaussian noise of {@code noise} (relative). */
    static double[] curve(int points, long interval, double noise, long seed) {
        Random random = new Random(seed);
        double[] logLoss = new double[points];
        for (int i = 0; i < points; i++) {
            long step = (i + 1) * interval;
            logLoss[i] = Math.log(2.5 + 7 / Math.pow(1 + step / 300.0, 0.7)) + noise * random.nextGaussian();
        }
        return logLoss;
    }

    /** Adds a spike of relative {@code height} at index {@code at}: one-step rise, hold, linear recovery. */
    static void spike(double[] logLoss, int at, double height, int hold, int recovery, double settle) {
        double h = Math.log1p(height);
        double s = Math.log1p(settle);
        for (int k = 0; k <= hold && at + k < logLoss.length; k++) {
            logLoss[at + k] += h;
        }
        for (int k = 1; k <= recovery && at + hold + k < logLoss.length; k++) {
            logLoss[at + hold + k] += s + (h - s) * (1 - k / (double) recovery);
        }
        for (int i = at + hold + recovery + 1; i < logLoss.length && settle > 0; i++) {
            logLoss[i] += s;
        }
    }

    static MetricPoint point(long step, double logLoss) {
        return MetricPoint.ofLoss(RUN, step, 1_000_000L + step * 1000, Math.exp(logLoss));
    }

    /** Feeds a curve (index i is step (i+1)·interval) with checkpoint events every {@code checkpointEvery}. */
    static final class Driver {
        final TrainingHealthMonitor monitor;
        TrainingState state = new TrainingState();
        final List<Alert> alerts = new ArrayList<>();

        Driver() {
            this(TrainingSettings.defaults());
        }

        Driver(TrainingSettings settings) {
            this.monitor = new TrainingHealthMonitor(settings);
        }

        Driver feed(double[] logLoss, long interval, long checkpointEvery) {
            return feed(logLoss, interval, checkpointEvery, 0, logLoss.length);
        }

        Driver feed(double[] logLoss, long interval, long checkpointEvery, int from, int to) {
            for (int i = from; i < to; i++) {
                long step = (i + 1) * interval;
                metric(point(step, logLoss[i]));
                if (checkpointEvery > 0 && step % checkpointEvery == 0) {
                    event(RunEvent.checkpoint(RUN, step, 1_000_000L + step * 1000 + 1));
                }
            }
            return this;
        }

        List<Alert> metric(MetricPoint point) {
            List<Alert> out = monitor.onMetric(state, point);
            alerts.addAll(out);
            return out;
        }

        List<Alert> event(RunEvent event) {
            List<Alert> out = monitor.onEvent(state, event);
            alerts.addAll(out);
            return out;
        }

        List<Alert> firing(AlertType type) {
            return alerts.stream().filter(a -> a.type() == type && a.state() == AlertState.firing).toList();
        }

        List<Alert> resolved(AlertType type) {
            return alerts.stream().filter(a -> a.type() == type && a.state() == AlertState.resolved).toList();
        }

        /** Pages and tickets, firing. */
        List<Alert> actionable() {
            return alerts.stream().filter(a -> a.isFiring() && a.severity() != Severity.info).toList();
        }
    }

    static MetricPoint withGroups(MetricPoint point, double embedGrad, double embedRms) {
        return point.withGroups(Map.of(
                "embed", new GroupStats(embedGrad, embedRms, null),
                "mlp", new GroupStats(0.2, 0.3, null)));
    }
}
