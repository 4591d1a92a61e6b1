package io.runwatch.topology;

import io.runwatch.core.Alert;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** The catalogue of runwatch's topics with their serdes. Keys are run ids throughout. */
public final class Topics {
    public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {
    }

    /** Per-step training metrics (input, JSON). */
    public static final Topic<byte[], byte[]> METRICS =
            new Topic<>("runwatch.metrics", Serdes.ByteArray(), Serdes.ByteArray());
    /** Per-checkpoint benchmark scores (input, JSON). */
    public static final Topic<byte[], byte[]> EVALS =
            new Topic<>("runwatch.evals", Serdes.ByteArray(), Serdes.ByteArray());
    /** Run lifecycle events (input, JSON). */
    public static final Topic<byte[], byte[]> EVENTS =
            new Topic<>("runwatch.events", Serdes.ByteArray(), Serdes.ByteArray());
    /** Alert records: the record of truth (output, JSON). */
    public static final Topic<String, Alert> ALERTS =
            new Topic<>("runwatch.alerts", Serdes.String(), new AlertSerde());
    /** Refused input records with their reason (output, JSON). */
    public static final Topic<String, DeadLetter> DEAD_LETTER =
            new Topic<>("runwatch.deadletter", Serdes.String(), new JsonSerde<>(DeadLetter.class));

    public static final List<String> INPUTS = List.of(METRICS.name(), EVALS.name(), EVENTS.name());
    public static final List<String> ALL = List.of(METRICS.name(), EVALS.name(), EVENTS.name(), ALERTS.name(),
            DEAD_LETTER.name());

    private Topics() {
    }
}
