package io.runwatch.evaluate;

import io.runwatch.core.AlertType;
import io.runwatch.core.Severity;

/**
 * One expected episode in a labelled run.
 *
 * @param family      the alert type that should report it
 * @param onsetStep   first anomalous step
 * @param endStep     last step at which detecting it still counts
 * @param minSeverity the least severity that counts as detecting it
 * @param spikeStep   for adam_precursor: onset of the loss spike it precedes; else -1
 * @param scored      false when the run is too short for any statistic, or the injected spike is within noise
 *                    of the minimum rise (listed, an alert on it excused, not counted either way)
 */
record TrainingLabel(AlertType family, long onsetStep, long endStep, Severity minSeverity, long spikeStep,
                     boolean scored) {

    static TrainingLabel of(AlertType family, long onsetStep, long endStep, Severity minSeverity) {
        return new TrainingLabel(family, onsetStep, endStep, minSeverity, -1, true);
    }
}
