package io.runwatch.core.evals;

import io.runwatch.core.Alert;
import java.util.List;
import java.util.Map;

/**
 * Result of one evaluation point: alerts to emit, the updated trajectory gauges, and the run's capability
 * scores (capability → normalised mean score) with its weakest capability (null when none is known).
 */
public record EvalOutcome(List<Alert> alerts, EvalGauges trajectory, Map<String, Double> capabilities,
                          String weakestCapability) {
}
