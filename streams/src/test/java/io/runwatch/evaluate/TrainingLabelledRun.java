package io.runwatch.evaluate;

import io.runwatch.core.RunInput;
import java.util.List;

/**
 * A run of the training suite: its inputs in time order and what should be found in it.
 *
 * @param interval steps between logged records (for delays in logged steps)
 * @param kind     scenario name, for the per-scenario breakdown
 * @param shape    what was injected (e.g. a spike's height, rise, hold and recovery), for listing misses
 */
record TrainingLabelledRun(String name, String kind, long interval, List<RunInput> inputs,
                           List<TrainingLabel> labels, String shape) {

    TrainingLabelledRun(String name, String kind, long interval, List<RunInput> inputs, List<TrainingLabel> labels) {
        this(name, kind, interval, inputs, labels, "");
    }

    /** A run where nothing deserves a ticket or a page. */
    boolean isClean() {
        return labels.stream().noneMatch(l -> l.scored() && l.minSeverity() != io.runwatch.core.Severity.info);
    }

    long metricRecords() {
        return inputs.stream().filter(i -> i.metric() != null).count();
    }
}
