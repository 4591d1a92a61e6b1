package io.runwatch.topology;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.runwatch.config.Settings;
import io.runwatch.core.Alert;
import io.runwatch.metrics.RunwatchMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/** The production topology in a TopologyTestDriver, with a real Prometheus registry to scrape. */
public final class TopologyFixture implements AutoCloseable {
    public final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    public final RunwatchMetrics metrics = new RunwatchMetrics(registry);
    public final TopologyTestDriver driver;
    private final TestInputTopic<byte[], byte[]> metricsIn;
    private final TestInputTopic<byte[], byte[]> eventsIn;
    private final TestInputTopic<byte[], byte[]> evalsIn;
    private final TestOutputTopic<String, Alert> alertsOut;
    private final TestOutputTopic<String, DeadLetter> deadOut;

    public TopologyFixture(Settings settings, RunwatchTopology.Mode mode, Path stateDir) {
        StreamsBuilder builder = new StreamsBuilder();
        RunwatchTopology.build(builder, settings, metrics, mode);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "runwatch-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(builder.build(props), props, Instant.ofEpochMilli(0));
        ByteArraySerializer bytes = new ByteArraySerializer();
        metricsIn = driver.createInputTopic(Topics.METRICS.name(), bytes, bytes);
        eventsIn = driver.createInputTopic(Topics.EVENTS.name(), bytes, bytes);
        evalsIn = driver.createInputTopic(Topics.EVALS.name(), bytes, bytes);
        alertsOut = driver.createOutputTopic(Topics.ALERTS.name(), Topics.ALERTS.keySerde().deserializer(),
                Topics.ALERTS.valueSerde().deserializer());
        deadOut = driver.createOutputTopic(Topics.DEAD_LETTER.name(), Topics.DEAD_LETTER.keySerde().deserializer(),
                Topics.DEAD_LETTER.valueSerde().deserializer());
    }

    public static Path tempStateDir() {
        try {
            return Files.createTempDirectory("runwatch-tt");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void metric(String key, String json, long timestampMs) {
        metricsIn.pipeInput(bytes(key), bytes(json), timestampMs);
    }

    public void event(String key, String json, long timestampMs) {
        eventsIn.pipeInput(bytes(key), bytes(json), timestampMs);
    }

    public void eval(String key, String json, long timestampMs) {
        evalsIn.pipeInput(bytes(key), bytes(json), timestampMs);
    }

    public void advanceWallClock(Duration by) {
        driver.advanceWallClockTime(by);
    }

    public List<Alert> alerts() {
        return alertsOut.readValuesToList();
    }

    public List<DeadLetter> deadLetters() {
        return deadOut.readValuesToList();
    }

    /** A state store as interactive queries see it: its committed state (the driver commits after every input). */
    @SuppressWarnings("unchecked")
    public <V> ReadOnlyKeyValueStore<String, V> store(String name) {
        return (ReadOnlyKeyValueStore<String, V>) driver.getAllStateStores().get(name);
    }

    public String scrape() {
        return registry.scrape();
    }

    private static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        driver.close();
    }
}
