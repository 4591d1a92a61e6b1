package io.runwatch.topology;

import io.runwatch.metrics.RunwatchMetrics;
import io.runwatch.config.Settings;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The safety net behind the contract check: if a detector ever throws on a record, that record goes to the
 * dead-letter topic with reason {@code processing_error} and processing goes on. Without it the record would be
 * retried forever under exactly-once and stop the monitor (a poison pill). Installed by {@link ErrorHandlers}; the
 * letter is bounded like every other ({@link DeadLetters}).
 */
public final class DeadLetterOnProcessingError implements ProcessingExceptionHandler {
    static final String REASON = "processing_error";
    static final String MAX_BYTES_KEY = "runwatch.deadletter.max.record.bytes";
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterOnProcessingError.class);
    private RunwatchMetrics metrics;
    private DeadLetters deadLetters;

    /** Adds the handler, and the metrics it counts in, to a Streams configuration (see {@link ErrorHandlers}). */
    public static void install(java.util.Properties streamsProps, RunwatchMetrics metrics) {
        ErrorHandlers.install(streamsProps, Settings.defaults(), metrics);
    }

    @Override
    public void configure(Map<String, ?> configs) {
        this.metrics = (RunwatchMetrics) configs.get(ProductionErrors.METRICS_KEY);
        Object maxBytes = configs.get(MAX_BYTES_KEY);
        @SuppressWarnings("unchecked")
        Map<String, Object> appConfigs = (Map<String, Object>) configs;
        this.deadLetters = DeadLetters.forProducer(maxBytes != null ? Integer.parseInt(maxBytes.toString())
                : Settings.defaults().integer(Settings.DEADLETTER_MAX_RECORD_BYTES), appConfigs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        LOG.error("processing failed in {} for {}-{}@{}; the record goes to the dead-letter topic",
                context.processorNodeId(), context.topic(), context.partition(), context.offset(), exception);
        if (metrics != null) {
            metrics.recordRejected(context.topic(), REASON);
        }
        byte[] rawKey = context.sourceRawKey();
        String key = DeadLetters.key(rawKey == null ? null : new String(rawKey, StandardCharsets.UTF_8));
        DeadLetter letter = deadLetters.letter(context.topic(), context.partition(), context.offset(),
                context.timestamp(), key, REASON, exception.getClass().getSimpleName() + " in "
                        + context.processorNodeId() + ": " + exception.getMessage(), context.sourceRawValue());
        byte[] json = Topics.DEAD_LETTER.valueSerde().serializer().serialize(Topics.DEAD_LETTER.name(), letter);
        return Response.resume(List.of(new ProducerRecord<>(Topics.DEAD_LETTER.name(),
                key == null ? null : key.getBytes(StandardCharsets.UTF_8), json)));
    }
}
