package io.runwatch.topology;

import io.runwatch.metrics.RunwatchMetrics;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
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
 * retried forever under exactly-once and stop the monitor (a poison pill). Installed through
 * {@link #install(java.util.Properties, RunwatchMetrics)}.
 */
public final class DeadLetterOnProcessingError implements ProcessingExceptionHandler {
    static final String REASON = "processing_error";
    private static final String METRICS_KEY = "runwatch.metrics.instance";
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterOnProcessingError.class);
    private RunwatchMetrics metrics;

    /** Adds the handler, and the metrics it counts in, to a Streams configuration. */
    public static void install(java.util.Properties streamsProps, RunwatchMetrics metrics) {
        streamsProps.put("processing.exception.handler", DeadLetterOnProcessingError.class.getName());
        streamsProps.put(METRICS_KEY, metrics);
    }

    @Override
    public void configure(Map<String, ?> configs) {
        this.metrics = (RunwatchMetrics) configs.get(METRICS_KEY);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        LOG.error("processing failed in {} for {}-{}@{}; the record goes to the dead-letter topic",
                context.processorNodeId(), context.topic(), context.partition(), context.offset(), exception);
        if (metrics != null) {
            metrics.recordRejected(context.topic(), REASON);
        }
        byte[] key = context.sourceRawKey();
        byte[] value = context.sourceRawValue() == null ? new byte[0] : context.sourceRawValue();
        DeadLetter letter = new DeadLetter(context.topic(), context.partition(), context.offset(),
                context.timestamp(), key == null ? null : new String(key, StandardCharsets.UTF_8), REASON,
                exception.getClass().getSimpleName() + " in " + context.processorNodeId() + ": "
                        + exception.getMessage(), Base64.getEncoder().encodeToString(value),
                new String(value, StandardCharsets.UTF_8));
        byte[] json = Topics.DEAD_LETTER.valueSerde().serializer().serialize(Topics.DEAD_LETTER.name(), letter);
        return Response.resume(List.of(new ProducerRecord<>(Topics.DEAD_LETTER.name(), key, json)));
    }
}
