package io.runwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runwatch.app.ScaleOutProperties;
import io.runwatch.config.Settings;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/** The scale-out settings, set the way the StatefulSet sets them (environment), as Kafka Streams reads them. */
class ScaleOutPropertiesTest {

    private static StreamsConfig streamsConfig(Map<String, String> env) {
        Properties props = ScaleOutProperties.of(Settings.load(new Properties(), env, Map.of()));
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "runwatch");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "kafka:9092");
        return new StreamsConfig(props);
    }

    @Test
    void oneInstanceByDefaultHasOneThreadNoStandbyAndAdvertisesNothing() {
        StreamsConfig config = streamsConfig(Map.of());
        assertThat(config.getInt(StreamsConfig.NUM_STREAM_THREADS_CONFIG)).isEqualTo(1);
        assertThat(config.getInt(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG)).isZero();
        assertThat(config.getString(StreamsConfig.APPLICATION_SERVER_CONFIG)).isEmpty();
        assertThat(config.getList(StreamsConfig.RACK_AWARE_ASSIGNMENT_TAGS_CONFIG)).isEmpty();
        assertThat(config.getMainConsumerConfigs("g", "c", 0)).doesNotContainKey(ConsumerConfig.CLIENT_RACK_CONFIG);
    }

    @Test
    void thePodEnvironmentOfTheProdOverlayReachesKafkaStreams() {
        StreamsConfig config = streamsConfig(Map.of(
                "RUNWATCH_STREAMS_NUM_STANDBY_REPLICAS", "1",
                "RUNWATCH_STREAMS_NUM_STREAM_THREADS", "2",
                "RUNWATCH_STREAMS_APPLICATION_SERVER", "runwatch-0.runwatch.ml.svc.cluster.local:9464",
                "RUNWATCH_STREAMS_CLIENT_RACK", "europe-west4-a"));
        assertThat(config.getInt(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG)).isEqualTo(1);
        assertThat(config.getInt(StreamsConfig.NUM_STREAM_THREADS_CONFIG)).isEqualTo(2);
        assertThat(config.getString(StreamsConfig.APPLICATION_SERVER_CONFIG))
                .isEqualTo("runwatch-0.runwatch.ml.svc.cluster.local:9464");
        // Standbys are spread by the zone tag; consumers read from a replica in their own zone.
        assertThat(config.getList(StreamsConfig.RACK_AWARE_ASSIGNMENT_TAGS_CONFIG))
                .containsExactly(ScaleOutProperties.ZONE_TAG);
        assertThat(config.getClientTags()).containsEntry(ScaleOutProperties.ZONE_TAG, "europe-west4-a");
        assertThat(config.getMainConsumerConfigs("g", "c", 0))
                .containsEntry(ConsumerConfig.CLIENT_RACK_CONFIG, "europe-west4-a");
        assertThat(config.getRestoreConsumerConfigs("c"))
                .containsEntry(ConsumerConfig.CLIENT_RACK_CONFIG, "europe-west4-a");
    }

    @Test
    void aMalformedApplicationServerIsRefusedNamingTheSetting() {
        for (String bad : new String[] {"runwatch-0", "http://runwatch-0:9464", "runwatch-0:port"}) {
            assertThatThrownBy(() -> streamsConfig(Map.of("RUNWATCH_STREAMS_APPLICATION_SERVER", bad)))
                    .as(bad).hasMessageContaining("streams.application.server").hasMessageContaining("host:port");
        }
        assertThat(streamsConfig(Map.of("RUNWATCH_STREAMS_APPLICATION_SERVER", "10.1.2.3:9464"))
                .getString(StreamsConfig.APPLICATION_SERVER_CONFIG)).isEqualTo("10.1.2.3:9464");
    }

    @Test
    void standbysAndThreadsAreRangeChecked() {
        assertThatThrownBy(() -> streamsConfig(Map.of("RUNWATCH_STREAMS_NUM_STREAM_THREADS", "0")))
                .hasMessageContaining("streams.num.stream.threads");
        assertThatThrownBy(() -> streamsConfig(Map.of("RUNWATCH_STREAMS_NUM_STANDBY_REPLICAS", "-1")))
                .hasMessageContaining("streams.num.standby.replicas");
    }
}
