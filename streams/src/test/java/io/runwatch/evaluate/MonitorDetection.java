package io.runwatch.evaluate;

import io.runwatch.config.Settings;
import io.runwatch.core.Alert;
import io.runwatch.core.RunInput;
import io.runwatch.core.evals.EvalMonitor;
import io.runwatch.core.evals.EvalRunState;
import io.runwatch.core.evals.TrajectoryState;
import io.runwatch.core.liveness.LivenessMonitor;
import io.runwatch.core.liveness.LivenessState;
import io.runwatch.core.training.TrainingHealthMonitor;
import io.runwatch.core.training.TrainingState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Detection straight through the pure monitors, without Kafka: fast, for iterating on detectors. It calls
 * them the way the topology does (state per run; liveness ticks on record time every tick interval).
 */
public final class MonitorDetection implements Detection {
    private final Settings settings;

    public MonitorDetection(Settings settings) {
        this.settings = settings;
    }

    @Override
    public List<Alert> detect(List<RunInput> inputs) {
        TrainingHealthMonitor training = new TrainingHealthMonitor(settings.training());
        LivenessMonitor liveness = new LivenessMonitor(settings.liveness());
        EvalMonitor evals = new EvalMonitor(settings.evals());
        Map<String, TrainingState> trainingStates = new HashMap<>();
        Map<String, LivenessState> livenessStates = new HashMap<>();
        Map<String, EvalRunState> evalStates = new HashMap<>();
        Map<String, TrajectoryState> trajectoryStates = new HashMap<>(); // keyed by run + trajectory, as the store
        long tickMs = settings.longValue(Settings.TICK_INTERVAL_MS);
        long nextTick = Long.MIN_VALUE;
        List<Alert> out = new ArrayList<>();
        for (RunInput input : inputs) {
            long now = input.timeMs();
            if (nextTick == Long.MIN_VALUE) {
                nextTick = now + tickMs;
            }
            while (now >= nextTick) {
                for (LivenessState s : livenessStates.values()) {
                    out.addAll(liveness.onTick(s, nextTick));
                }
                nextTick += tickMs;
            }
            String run = input.run();
            if (input.metric() != null) {
                out.addAll(training.onMetric(trainingStates.computeIfAbsent(run, r -> new TrainingState()),
                        input.metric()));
                out.addAll(liveness.onMetric(livenessStates.computeIfAbsent(run, r -> new LivenessState()),
                        input.metric()));
            } else if (input.event() != null) {
                out.addAll(training.onEvent(trainingStates.computeIfAbsent(run, r -> new TrainingState()),
                        input.event()));
                out.addAll(liveness.onEvent(livenessStates.computeIfAbsent(run, r -> new LivenessState()),
                        input.event()));
            } else {
                EvalRunState runState = evalStates.computeIfAbsent(run, r -> new EvalRunState());
                TrajectoryState trajectory = trajectoryStates.computeIfAbsent(
                        run + "/" + input.eval().trajectoryKey(), k -> new TrajectoryState());
                out.addAll(evals.onEval(runState, trajectory, input.eval()).alerts());
            }
        }
        return out;
    }
}
