package io.runwatch.core.training;

import java.util.LinkedHashMap;
import java.util.Map;

/** The wording the training-health alerts share: percentages, the rollback hint and action, evidence maps. */
final class TrainingAlertText {
    private TrainingAlertText() {
    }

    static String percent(double fraction) {
        return String.format("%+.1f%%", 100 * fraction);
    }

    /** For tickets and the first line of a page: where the last good state is, when known. */
    static String rollbackHint(Long step) {
        return step == null ? "" : "; last good checkpoint is step " + step;
    }

    /** For pages: what to do now. */
    static String rollbackAction(Long step) {
        return step == null ? "stop the run and roll back to the last good checkpoint"
                : "roll back to step " + step + " (skip the batches after it or lower the learning rate)";
    }

    static Map<String, Object> evidence(Object... keyValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }
}
