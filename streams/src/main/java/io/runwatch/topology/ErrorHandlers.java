package io.runwatch.topology;

import io.runwatch.config.Settings;
import io.runwatch.metrics.RunwatchMetrics;
import java.util.Properties;

/**
 * Installs runwatch's Kafka Streams error handlers into a Streams configuration: {@link DeadLetterOnProcessingError}
 * (a detector that throws dead-letters its record) and {@link ProductionErrors} (a dead letter that cannot be
 * written is counted and skipped; anything else fails loudly). Together with the contract check they make sure no
 * input record, whatever its size or content, stops a stream thread.
 */
public final class ErrorHandlers {
    private ErrorHandlers() {
    }

    public static void install(Properties streamsProps, Settings settings, RunwatchMetrics metrics) {
        streamsProps.put("processing.exception.handler", DeadLetterOnProcessingError.class.getName());
        streamsProps.put("production.exception.handler", ProductionErrors.class.getName());
        streamsProps.put(ProductionErrors.METRICS_KEY, metrics);
        streamsProps.put(DeadLetterOnProcessingError.MAX_BYTES_KEY,
                settings.integer(Settings.DEADLETTER_MAX_RECORD_BYTES));
    }
}
