package io.runwatch.evaluate;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.EvalPoint;
import io.runwatch.core.RunInput;
import io.runwatch.core.Severity;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rule a user would write first: alert when a score drops 2 points (0.02) below its running maximum,
 * resolve when it is back within 2 points. Results are taken in arrival order, as a simple script would.
 * Losses and perplexities, which have no "points", use 2% above their running minimum.
 */
public final class EvalBaselineDetection implements Detection {
    private static final double POINTS = 0.02;

    @Override
    public List<Alert> detect(List<RunInput> inputs) {
        Map<String, Double> best = new HashMap<>();
        Map<String, Alert> open = new HashMap<>();
        List<Alert> out = new ArrayList<>();
        for (RunInput input : inputs) {
            EvalPoint p = input.eval();
            if (p == null || !Double.isFinite(p.value())) {
                continue;
            }
            String key = p.run() + "/" + p.trajectoryKey();
            double score = p.higherIsBetter() ? p.value() : -p.value();
            double runningBest = Math.max(best.getOrDefault(key, Double.NEGATIVE_INFINITY), score);
            best.put(key, runningBest);
            double allowed = p.higherIsBetter() ? POINTS : POINTS * Math.abs(runningBest);
            boolean below = score < runningBest - allowed;
            Alert episode = open.get(key);
            if (below && episode == null) {
                Alert firing = Alert.firing(p.run(), AlertType.eval_regression, Severity.ticket, p.step())
                        .benchmark(p.benchmark(), p.metric()).detectedAt(p.step(), p.timeMs())
                        .value(p.value()).summary("score 2 points below its running maximum").build();
                open.put(key, firing);
                out.add(firing);
            } else if (!below && episode != null) {
                out.add(episode.resolvedAt(p.step(), p.timeMs(), "back within 2 points of the running maximum"));
                open.remove(key);
            }
        }
        return out;
    }
}
