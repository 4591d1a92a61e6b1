package io.runwatch.bench;

import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The yardstick: a Kafka Streams app that copies every record of the input topic to an output topic unchanged,
 * under runwatch's own Streams properties (exactly-once, commit interval, producer batching, threads). What it
 * costs is what Kafka Streams itself costs on this machine; runwatch cannot be faster.
 */
public final class IdentityApp implements AutoCloseable {
    public static final String OUTPUT_TOPIC = "bench.identity.out";

    private final KafkaStreams streams;

    public IdentityApp(String inputTopic, Properties streamsProperties) {
        this(inputTopic, streamsProperties, false);
    }

    /** @param paused join the group and take partitions, but process nothing until {@link #resume()} */
    public IdentityApp(String inputTopic, Properties streamsProperties, boolean paused) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(inputTopic, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .mapValues(value -> value)
                .to(OUTPUT_TOPIC, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        streams = new KafkaStreams(builder.build(streamsProperties), streamsProperties);
        if (paused) {
            streams.pause();
        }
        streams.start();
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    public void resume() {
        streams.resume();
    }

    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (streams.state() == KafkaStreams.State.RUNNING) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    @Override
    public void close() {
        streams.close(CloseOptions.timeout(Duration.ofSeconds(30))
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }
}
