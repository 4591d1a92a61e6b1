package io.runwatch.evaluate;

import io.runwatch.core.Alert;
import io.runwatch.core.RunInput;
import java.util.List;

/**
 * Runs detection over recorded inputs (already in time order) and returns every alert record emitted.
 * The evaluation suites depend only on this, so they can be run against the detectors directly
 * ({@link MonitorDetection}) or against the production topology through the backtest.
 */
@FunctionalInterface
public interface Detection {
    List<Alert> detect(List<RunInput> inputsInTimeOrder);
}
