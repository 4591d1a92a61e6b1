package io.runwatch.topology;

import io.runwatch.contract.InputParser;
import io.runwatch.contract.ParseResult;
import io.runwatch.metrics.RunwatchMetrics;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Applies the input contract to raw records of one input topic. Valid records go on as {@link Parsed} inputs
 * keyed by the producer's key; refused ones become dead letters with their origin and reason. Never throws.
 */
final class ParseProcessor extends ContextualProcessor<byte[], byte[], String, Parsed> {
    private final InputParser.Kind kind;
    private final InputParser parser;
    private final RunwatchMetrics metrics;
    private DeadLetters deadLetters;

    ParseProcessor(InputParser.Kind kind, InputParser parser, RunwatchMetrics metrics, DeadLetters deadLetters) {
        this.kind = kind;
        this.parser = parser;
        this.metrics = metrics;
        this.deadLetters = deadLetters;
    }

    @Override
    public void init(ProcessorContext<String, Parsed> context) {
        super.init(context);
        deadLetters = DeadLetters.forProducer(deadLetters.maxRecordBytes(), context.appConfigs());
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata origin = context().recordMetadata().orElse(null);
        String topic = origin != null ? origin.topic() : kind.name().toLowerCase();
        metrics.recordRead(topic);
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        ParseResult result = parser.parse(kind, record.value(), record.timestamp());
        if (result.isOk()) {
            metrics.processed(result.input().timeMs(), context().currentSystemTimeMs());
            // New records: the input's headers (any size, unused here) must not ride along into any output.
            context().forward(new Record<>(key, new Parsed(result.input(), null), record.timestamp()));
            return;
        }
        metrics.recordRejected(topic, result.rejection().reason());
        DeadLetter letter = deadLetters.letter(topic, origin != null ? origin.partition() : -1,
                origin != null ? origin.offset() : -1, record.timestamp(), key, result.rejection().reason(),
                result.rejection().detail(), record.value());
        // The key is cut too: a key of any size must not make the dead letter too large to send.
        context().forward(new Record<>(DeadLetters.key(key), new Parsed(null, letter), record.timestamp()));
    }
}
