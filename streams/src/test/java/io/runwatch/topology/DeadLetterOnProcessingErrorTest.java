package io.runwatch.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.runwatch.metrics.RunwatchMetrics;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A processor that throws must not stop the stream: the record is dead-lettered and counted, the next flows. */
class DeadLetterOnProcessingErrorTest {
    @TempDir
    Path stateDir;

    @Test
    void aRecordThatMakesAProcessorThrowIsDeadLetteredAndProcessingGoesOn() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream("in", Consumed.with(Serdes.String(), Serdes.String()))
                .mapValues(value -> {
                    if (value.contains("boom")) {
                        throw new IllegalStateException("detector bug on " + value);
                    }
                    return value.toUpperCase();
                })
                .to("out", Produced.with(Serdes.String(), Serdes.String()));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "dlq-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        DeadLetterOnProcessingError.install(props, new RunwatchMetrics(registry));
        try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props)) {
            TestInputTopic<String, String> in = driver.createInputTopic("in", new StringSerializer(),
                    new StringSerializer());
            in.pipeInput("r1", "ok-1");
            in.pipeInput("r1", "boom");
            in.pipeInput("r1", "ok-2");
            assertThat(driver.createOutputTopic("out", new StringDeserializer(), new StringDeserializer())
                    .readValuesToList()).containsExactly("OK-1", "OK-2");
            DeadLetter letter = driver.createOutputTopic(Topics.DEAD_LETTER.name(), new StringDeserializer(),
                    Topics.DEAD_LETTER.valueSerde().deserializer()).readValue();
            assertThat(letter.reason()).isEqualTo("processing_error");
            assertThat(letter.topic()).isEqualTo("in");
            assertThat(letter.offset()).isEqualTo(1);
            assertThat(letter.key()).isEqualTo("r1");
            assertThat(letter.originalText()).isEqualTo("boom");
            assertThat(letter.detail()).contains("IllegalStateException", "detector bug on boom");
        }
        assertThat(registry.scrape())
                .contains("runwatch_records_rejected_total{reason=\"processing_error\",topic=\"in\"} 1.0");
    }
}
