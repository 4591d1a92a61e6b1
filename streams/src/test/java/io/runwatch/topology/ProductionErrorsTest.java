package io.runwatch.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.runwatch.config.Settings;
import io.runwatch.metrics.RunwatchMetrics;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.api.Test;

/** Only a dead letter may be given up when it cannot be written; alerts and state fail loudly. */
class ProductionErrorsTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ProductionErrors handler = new ProductionErrors();

    ProductionErrorsTest() {
        Properties props = new Properties();
        ErrorHandlers.install(props, Settings.defaults(), new RunwatchMetrics(registry));
        Map<String, Object> configs = new HashMap<>();
        props.forEach((k, v) -> configs.put(k.toString(), v));
        handler.configure(configs);
    }

    private static ProducerRecord<byte[], byte[]> to(String topic) {
        return new ProducerRecord<>(topic, new byte[] {'k'}, new byte[] {'v'});
    }

    @Test
    void aDeadLetterTooLargeToSendIsCountedAndSkipped() {
        var response = handler.handleError(new Source(), to(Topics.DEAD_LETTER.name()),
                new RecordTooLargeException("too large"));
        assertThat(response.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
        assertThat(registry.scrape()).contains("runwatch_records_rejected_total{reason=\"too_large_for_deadletter\","
                + "topic=\"runwatch.metrics\"} 1.0");
    }

    @Test
    void aDeadLetterThatCannotBeSerializedIsCountedAndSkipped() {
        var response = handler.handleSerializationError(new Source(), to(Topics.DEAD_LETTER.name()),
                new SerializationException("bad"), ProductionExceptionHandler.SerializationExceptionOrigin.VALUE);
        assertThat(response.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
        assertThat(registry.scrape()).contains("reason=\"deadletter_not_serializable\"");
    }

    @Test
    void anAlertOrAStateChangeThatCannotBeWrittenFailsTheTask() {
        assertThat(handler.handleError(new Source(), to(Topics.ALERTS.name()), new RecordTooLargeException("x"))
                .result()).isEqualTo(ProductionExceptionHandler.Result.FAIL);
        assertThat(handler.handleError(new Source(), to("runwatch-training-state-changelog"),
                new RecordTooLargeException("x")).result()).isEqualTo(ProductionExceptionHandler.Result.FAIL);
        assertThat(handler.handleSerializationError(new Source(), to(Topics.ALERTS.name()),
                new SerializationException("x"), ProductionExceptionHandler.SerializationExceptionOrigin.VALUE)
                .result()).isEqualTo(ProductionExceptionHandler.Result.FAIL);
        assertThat(registry.scrape()).doesNotContain("runwatch_records_rejected_total{");
    }

    @Test
    void aSlowBrokerIsRetriedEvenForADeadLetter() {
        assertThat(handler.handleError(new Source(), to(Topics.DEAD_LETTER.name()), new TimeoutException("slow"))
                .result()).isEqualTo(ProductionExceptionHandler.Result.RETRY);
    }

    /** The input record whose processing produced the failed output. */
    private static final class Source implements ErrorHandlerContext {
        @Override
        public String topic() {
            return Topics.METRICS.name();
        }

        @Override
        public int partition() {
            return 0;
        }

        @Override
        public long offset() {
            return 7;
        }

        @Override
        public Headers headers() {
            return new RecordHeaders();
        }

        @Override
        public String processorNodeId() {
            return "metrics-to-dead-letter";
        }

        @Override
        public TaskId taskId() {
            return new TaskId(0, 0);
        }

        @Override
        public long timestamp() {
            return 0;
        }

        @Override
        public byte[] sourceRawKey() {
            return null;
        }

        @Override
        public byte[] sourceRawValue() {
            return null;
        }
    }
}
