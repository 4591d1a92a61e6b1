package io.runwatch.app;

import io.runwatch.config.Settings;
import java.util.Properties;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The Kafka Streams properties that spread runwatch over several instances: stream threads, standby replicas,
 * rack awareness and the advertised {@code application.server}, from the {@code streams.*} settings (so a pod
 * spec sets them as {@code RUNWATCH_STREAMS_...} environment variables).
 */
public final class ScaleOutProperties {
    /** The client tag that carries {@link Settings#STREAMS_CLIENT_RACK}; standbys avoid the active's zone. */
    public static final String ZONE_TAG = "zone";
    private static final Pattern HOST_PORT = Pattern.compile("[^\\s:/]+:\\d{1,5}|\\[[0-9A-Fa-f:.]+]:\\d{1,5}");

    private ScaleOutProperties() {
    }

    public static Properties of(Settings settings) {
        Properties props = new Properties();
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, settings.integer(Settings.STREAMS_THREADS));
        props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, settings.integer(Settings.STREAMS_STANDBYS));
        String server = settings.string(Settings.STREAMS_APPLICATION_SERVER).trim();
        if (!server.isEmpty()) {
            // Streams would refuse it too, but later and without naming the setting.
            if (!HOST_PORT.matcher(server).matches()) {
                throw new IllegalArgumentException("setting " + Settings.STREAMS_APPLICATION_SERVER.key() + "="
                        + server + ": expected host:port");
            }
            props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, server);
        }
        String rack = settings.string(Settings.STREAMS_CLIENT_RACK).trim();
        if (!rack.isEmpty()) {
            props.put(ConsumerConfig.CLIENT_RACK_CONFIG, rack);
            props.put(StreamsConfig.CLIENT_TAG_PREFIX + ZONE_TAG, rack);
            props.put(StreamsConfig.RACK_AWARE_ASSIGNMENT_TAGS_CONFIG, ZONE_TAG);
        }
        return props;
    }
}
