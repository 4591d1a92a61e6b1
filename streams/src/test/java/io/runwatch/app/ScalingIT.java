package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.runwatch.config.Settings;
import io.runwatch.topology.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scaling the Kafka way: two instances of the same application over four partitions share the runs; every run is
 * watched by exactly one of them and every episode is written exactly once.
 */
class ScalingIT {
    private static final Pattern RUN_STEP = Pattern.compile("runwatch_run_step\\{run=\"([^\"]+)\"}");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void twoInstancesShareTheRunsAndEachEpisodeIsWrittenOnce() throws Exception {
        Settings settings = Settings.defaults().with(Settings.TOPIC_PARTITIONS, 4);
        try (EmbeddedKafka broker = EmbeddedKafka.start(dir.resolve("kafka"));
             RunwatchApp first = start(settings, broker, "a");
             RunwatchApp second = start(settings, broker, "b")) {
            // Both RUNNING at once: the group has settled with partitions on both instances.
            await().atMost(Duration.ofSeconds(90)).until(() -> first.state() == KafkaStreams.State.RUNNING
                    && second.state() == KafkaStreams.State.RUNNING);
            List<String> runs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String run = "scale-" + i;
                runs.add(run);
                KafkaTestSupport.produce(broker.bootstrapServers(), Topics.METRICS.name(), run, List.of(
                        "{\"run\":\"" + run + "\",\"step\":1,\"loss\":3.0}",
                        "{\"run\":\"" + run + "\",\"step\":2,\"loss\":NaN}"));
            }
            List<ConsumerRecord<String, String>> alerts = KafkaTestSupport.readUntil(broker.bootstrapServers(),
                    Topics.ALERTS.name(), records -> records.size() >= runs.size(), Duration.ofSeconds(60));
            assertThat(alerts).extracting(ConsumerRecord::key).containsExactlyInAnyOrderElementsOf(runs);

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                Set<String> onFirst = runsServedBy(first);
                Set<String> onSecond = runsServedBy(second);
                assertThat(onFirst).as("a run lives on one instance").doesNotContainAnyElementsOf(onSecond);
                assertThat(onFirst).as("the work is shared").isNotEmpty();
                assertThat(onSecond).as("the work is shared").isNotEmpty();
                Set<String> all = new HashSet<>(onFirst);
                all.addAll(onSecond);
                assertThat(all).containsExactlyInAnyOrderElementsOf(runs);
            });
        }
    }

    private RunwatchApp start(Settings settings, EmbeddedKafka broker, String name) throws Exception {
        return RunwatchApp.start(settings, new RunwatchApp.Options(broker.bootstrapServers(), new Properties(),
                dir.resolve("state-" + name), "127.0.0.1", 0));
    }

    private static Set<String> runsServedBy(RunwatchApp app) throws Exception {
        String body = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        Set<String> runs = new HashSet<>();
        Matcher m = RUN_STEP.matcher(body);
        while (m.find()) {
            runs.add(m.group(1));
        }
        return runs;
    }
}
