package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.runwatch.config.Settings;
import io.runwatch.topology.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * /readyz tells the truth against a real broker: it goes non-ready when the broker stops and ready when it is back,
 * non-ready in a stream-thread death loop, and after a rebalance no series is exported by two instances. Each test
 * prints the seconds a check took to trip ("HEALTH ..." lines).
 */
class HealthIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    record Readiness(int status, Set<String> failing, String body) {
        boolean ready() {
            return status == 200;
        }
    }

    static Readiness readyz(RunwatchApp app) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + app.httpPort() + "/readyz")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        Set<String> failing = new TreeSet<>();
        for (JsonNode check : JSON.readTree(response.body()).get("checks")) {
            if (!check.get("ok").asBoolean()) {
                failing.add(check.get("name").asText());
            }
        }
        return new Readiness(response.statusCode(), failing, response.body());
    }

    /** Polls /readyz every 250 ms until {@code until} holds; returns it and the seconds waited. */
    static Readiness awaitReadiness(RunwatchApp app, Predicate<Readiness> until, Duration timeout, long fromNanos,
                                    String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Readiness last = null;
        while (System.nanoTime() < deadline) {
            last = readyz(app);
            if (until.test(last)) {
                System.out.printf("HEALTH %s after %.1f s (failing: %s)%n", what,
                        (System.nanoTime() - fromNanos) / 1e9, last.failing());
                return last;
            }
            Thread.sleep(250);
        }
        throw new AssertionError(what + " did not happen within " + timeout + "; last /readyz: "
                + (last == null ? "none" : last.body()));
    }

    private RunwatchApp start(Settings settings, String bootstrap, String name) throws Exception {
        return RunwatchApp.start(settings, new RunwatchApp.Options(bootstrap, new Properties(),
                dir.resolve("state-" + name), "127.0.0.1", 0));
    }

    @Test
    void stoppingTheBrokerMakesItNotReadyWithin30sAndItsReturnReadyAgainWithin30s() throws Exception {
        try (BrokerProcess broker = BrokerProcess.start(dir.resolve("kafka"));
             RunwatchApp app = start(Settings.defaults(), broker.bootstrapServers(), "a")) {
            assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
            KafkaTestSupport.produce(broker.bootstrapServers(), Topics.METRICS.name(), "r",
                    List.of("{\"run\":\"r\",\"step\":1,\"loss\":3.0}"));
            awaitReadiness(app, Readiness::ready, Duration.ofSeconds(30), System.nanoTime(), "ready before the stop");

            long stopped = System.nanoTime();
            broker.kill();
            Readiness down = awaitReadiness(app, r -> !r.ready(), Duration.ofSeconds(30), stopped,
                    "not ready after the broker was killed");
            assertThat(down.failing()).contains("broker_reachable");
            assertThat(down.body()).contains("no answer from the cluster");

            Thread.sleep(5_000); // a real outage lasts a while
            long restarted = System.nanoTime();
            broker.restart();
            long back = System.nanoTime();
            System.out.printf("HEALTH broker JVM listening again %.1f s after its restart%n", (back - restarted) / 1e9);
            awaitReadiness(app, Readiness::ready, Duration.ofSeconds(30), back,
                    "ready after the broker was back (listening)");
            // And it works again: a NaN after the outage pages.
            KafkaTestSupport.produce(broker.bootstrapServers(), Topics.METRICS.name(), "r",
                    List.of("{\"run\":\"r\",\"step\":2,\"loss\":NaN}"));
            List<ConsumerRecord<String, String>> alerts = KafkaTestSupport.readUntil(broker.bootstrapServers(),
                    Topics.ALERTS.name(), records -> !records.isEmpty(), Duration.ofSeconds(60));
            assertThat(alerts).extracting(ConsumerRecord::value).anyMatch(v -> v.contains("\"nonfinite\""));
        }
    }

    @Test
    void aStreamThreadDeathLoopMakesItNotReady() throws Exception {
        // Every task directory is a plain file: each stream thread dies creating its first stateful task, is
        // replaced, and dies again.
        Path appState = Files.createDirectories(dir.resolve("state-loop").resolve("runwatch"));
        for (int subtopology = 0; subtopology < 10; subtopology++) {
            Files.writeString(appState.resolve(subtopology + "_0"), "not a directory");
        }
        try (EmbeddedKafka broker = EmbeddedKafka.start(dir.resolve("kafka"));
             RunwatchApp app = start(Settings.defaults(), broker.bootstrapServers(), "loop")) {
            long started = System.nanoTime();
            awaitReadiness(app, r -> !r.ready(), Duration.ofSeconds(120), started,
                    "not ready in a thread death loop, since start");
            // Each turn of the loop waits out the dead member's session timeout (45 s): the second replacement
            // trips the thread check.
            Readiness loop = awaitReadiness(app, r -> r.failing().contains("stream_threads_stable"),
                    Duration.ofSeconds(150), started, "stream_threads_stable failed in a thread death loop, since start");
            assertThat(loop.ready()).isFalse();
            assertThat(loop.body()).contains("2 stream thread(s) replaced after a failure in the last 600 s (limit 1)");
        }
    }

    @Test
    void afterARebalanceNoSeriesIsExportedByTwoInstances() throws Exception {
        Settings settings = Settings.defaults().with(Settings.TOPIC_PARTITIONS, 4);
        try (EmbeddedKafka broker = EmbeddedKafka.start(dir.resolve("kafka"));
             RunwatchApp first = start(settings, broker.bootstrapServers(), "a")) {
            assertThat(first.awaitRunning(Duration.ofSeconds(90))).isTrue();
            List<String> runs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String run = "rebalance-" + i;
                runs.add(run);
                KafkaTestSupport.produce(broker.bootstrapServers(), Topics.METRICS.name(), run, List.of(
                        "{\"run\":\"" + run + "\",\"step\":1,\"loss\":3.0}",
                        "{\"run\":\"" + run + "\",\"step\":2,\"loss\":NaN}"));
            }
            KafkaTestSupport.readUntil(broker.bootstrapServers(), Topics.ALERTS.name(),
                    records -> records.size() >= runs.size(), Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(30)).until(() -> activeAlertRuns(scrape(first)).size() == runs.size());

            long joined = System.nanoTime();
            try (RunwatchApp second = start(settings, broker.bootstrapServers(), "b")) {
                await().atMost(Duration.ofSeconds(90)).until(() -> first.state() == KafkaStreams.State.RUNNING
                        && second.state() == KafkaStreams.State.RUNNING && !activeAlertRuns(scrape(second)).isEmpty());
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                    Set<String> onFirst = ownedSeries(scrape(first));
                    Set<String> onSecond = ownedSeries(scrape(second));
                    Set<String> both = new TreeSet<>(onFirst);
                    both.retainAll(onSecond);
                    assertThat(both).as("series exported by both instances").isEmpty();
                    // The new owner restored the open pages of the runs it took over: none is lost.
                    Set<String> paging = new HashSet<>(activeAlertRuns(scrape(first)));
                    paging.addAll(activeAlertRuns(scrape(second)));
                    assertThat(paging).containsExactlyInAnyOrderElementsOf(runs);
                    assertThat(activeAlertRuns(scrape(first))).isNotEmpty();
                    assertThat(lagSeries(onFirst)).as("lag of the partitions the first instance owns").isNotEmpty();
                    assertThat(lagSeries(onSecond)).as("lag of the partitions the second instance owns").isNotEmpty();
                });
                System.out.printf("HEALTH two instances export disjoint series %.1f s after the second joined%n",
                        (System.nanoTime() - joined) / 1e9);
            }
        }
    }

    static String scrape(RunwatchApp app) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Series that belong to one owner: labelled by run or by partition (name and labels, without the value). */
    static Set<String> ownedSeries(String scrape) {
        return scrape.lines().filter(l -> !l.startsWith("#"))
                .filter(l -> l.contains("run=\"") || l.contains("partition=\""))
                .map(l -> l.substring(0, l.lastIndexOf(' ')))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    static Set<String> activeAlertRuns(String scrape) {
        return scrape.lines().filter(l -> l.startsWith("runwatch_alert_active{"))
                .map(l -> l.replaceAll(".*run=\"([^\"]+)\".*", "$1")).collect(Collectors.toSet());
    }

    static Set<String> lagSeries(Set<String> series) {
        return series.stream().filter(s -> s.startsWith("runwatch_consumer_lag_records{")).collect(Collectors.toSet());
    }
}
