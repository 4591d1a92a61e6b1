package io.runwatch.core.evals;

import io.runwatch.core.Alert;
import java.util.List;
import java.util.Map;

/**
 * Result of one evaluation point: alerts to emit, the updated trajectory gauges, and the run's capability
 * scores (capability → normalised mean score) with its weakest capability (null when none is known).
 * {@code unplacedReason} is null when the result entered its trajectory, else why it could not (counted, so a
 * result the monitor ignores never disappears without a trace).
 */
public record EvalOutcome(List<Alert> alerts, EvalGauges trajectory, Map<String, Double> capabilities,
                          String weakestCapability, String unplacedReason) {

    /** The score was NaN or not a score of this metric: the eval failed, not the model. */
    public static final String NOT_A_SCORE = "not_a_score";
    /** Its checkpoint is older than the trajectory's retained window (already compressed): too late to place. */
    public static final String TOO_LATE = "too_late";

    public EvalOutcome(List<Alert> alerts, EvalGauges trajectory, Map<String, Double> capabilities,
                       String weakestCapability) {
        this(alerts, trajectory, capabilities, weakestCapability, null);
    }
}
