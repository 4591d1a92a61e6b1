package io.runwatch.topology;

import io.runwatch.metrics.RunwatchMetrics;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens when Streams cannot write an output record. Only a dead letter may be given up: it is counted in
 * {@code runwatch_records_rejected_total{reason="too_large_for_deadletter"}} (or {@code deadletter_not_serializable}),
 * logged in one line, and processing goes on, so that no input record can stop a partition. {@link DeadLetters}
 * bounds every letter, so this is the last line of defence (an operator who lowered the producer's
 * {@code max.request.size} below {@code deadletter.max.record.bytes}).
 *
 * <p>Everything else fails the task: an alert, a state change or a repartitioned input that cannot be written
 * must not be skipped silently, and under exactly-once skipping it would also commit the input offsets past it.
 * Alert records cannot grow large (every string in them is a bounded label), so this does not happen to them.
 * Retriable errors (broker slow, leader moving) are retried.
 */
public final class ProductionErrors implements ProductionExceptionHandler {
    static final String TOO_LARGE_FOR_DEAD_LETTER = "too_large_for_deadletter";
    static final String DEAD_LETTER_NOT_SERIALIZABLE = "deadletter_not_serializable";
    static final String METRICS_KEY = "runwatch.metrics.instance";
    private static final Logger LOG = LoggerFactory.getLogger(ProductionErrors.class);
    private RunwatchMetrics metrics;

    @Override
    public void configure(Map<String, ?> configs) {
        this.metrics = (RunwatchMetrics) configs.get(METRICS_KEY);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record,
                                Exception exception) {
        if (exception instanceof RetriableException) {
            return Response.retry();
        }
        return giveUpOnlyADeadLetter(context, record.topic(), exception,
                exception instanceof RecordTooLargeException ? TOO_LARGE_FOR_DEAD_LETTER : "deadletter_not_written");
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Response handleSerializationError(ErrorHandlerContext context, ProducerRecord record, Exception exception,
                                             SerializationExceptionOrigin origin) {
        return giveUpOnlyADeadLetter(context, record.topic(), exception, DEAD_LETTER_NOT_SERIALIZABLE);
    }

    private Response giveUpOnlyADeadLetter(ErrorHandlerContext context, String outputTopic, Exception exception,
                                           String reason) {
        if (!Topics.DEAD_LETTER.name().equals(outputTopic)) {
            LOG.error("cannot write to {} for input {}-{}@{}: {}; the task fails rather than skip it", outputTopic,
                    context.topic(), context.partition(), context.offset(), exception.toString());
            return Response.fail();
        }
        LOG.error("dead letter of {}-{}@{} not written ({}): {}; counted as {}, processing goes on",
                context.topic(), context.partition(), context.offset(), reason, exception.toString(), reason);
        if (metrics != null) {
            metrics.recordRejected(context.topic(), reason);
        }
        return Response.resume();
    }
}
