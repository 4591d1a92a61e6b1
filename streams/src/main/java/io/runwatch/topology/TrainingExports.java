package io.runwatch.topology;

import io.runwatch.core.training.TrainingHealthMonitor;
import io.runwatch.core.training.TrainingState;
import io.runwatch.metrics.RunwatchMetrics;

/** Copies the training detectors' exported numbers (spike counts and rate) into the metrics layer. */
final class TrainingExports {
    private TrainingExports() {
    }

    static void export(RunwatchMetrics metrics, String run, TrainingState state) {
        metrics.lossSpikes(run, TrainingHealthMonitor.lossSpikesTotal(state),
                TrainingHealthMonitor.lossSpikeRatePer1000(state));
    }
}
