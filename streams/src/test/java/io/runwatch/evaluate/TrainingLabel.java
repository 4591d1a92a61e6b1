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
 * @param scored      false when the run is too short for any statistic (listed, not counted either way)
 * @param nearMinimumRise a synthetic spike whose injected rise does not clear {@code training.spike.min.rise}
 *                    by two noise sigmas at two consecutive logged steps: whether the noisy loss clears the
 *                    minimum rise is then partly chance. Scored like any other; counted apart as well.
 */
record TrainingLabel(AlertType family, long onsetStep, long endStep, Severity minSeverity, long spikeStep,
                     boolean scored, boolean nearMinimumRise) {

    static TrainingLabel of(AlertType family, long onsetStep, long endStep, Severity minSeverity) {
        return new TrainingLabel(family, onsetStep, endStep, minSeverity, -1, true, false);
    }
}
