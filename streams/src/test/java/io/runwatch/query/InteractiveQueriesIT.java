package io.runwatch.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.runwatch.app.EmbeddedKafka;
import io.runwatch.app.KafkaTestSupport;
import io.runwatch.app.RunwatchApp;
import io.runwatch.config.Settings;
import io.runwatch.metrics.TestCertificates;
import io.runwatch.metrics.WebConfig;
import io.runwatch.topology.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two runwatch instances (one application id, their own state directories and HTTP ports, one standby each) on a
 * real broker: every run is answered correctly by either instance, forwarded to its owner (over TLS with basic
 * auth), before and after one instance stops (its standby takes over); the open episodes agree with
 * {@code runwatch.alerts} read committed.
 * And when an instance cannot be reached over HTTP while it still owns partitions, the other answers from its
 * standby copy flagged stale, and a list says what it lacks instead of leaving runs out silently.
 */
class InteractiveQueriesIT {
    private static final String USER = "grafana";
    private static final String PASSWORD = "s3cret";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PARTITIONS = 4;
    private static final String MISPLACED = "misplaced-run";
    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    /** Plain HTTP, or (the first test) TLS with basic auth, as every instance serves it. */
    private HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String scheme = "http";
    private String authorization;
    private WebConfig web = WebConfig.none();

    /** What the inputs make of one run: its last step, and whether its evaluation was sent. */
    private record Planned(String run, long lastStep, boolean evaluated) {
    }

    /** A run's episodes as runwatch.alerts tells them. */
    private static final class Told {
        final Map<String, Long> openRollback = new TreeMap<>();
        final Set<String> resolved = new TreeSet<>();
    }

    @Test
    void everyRunIsAnsweredCorrectlyByEitherInstanceBeforeAndAfterOneStops() throws Exception {
        // Over TLS with basic auth, as a production deployment serves it: forwarding must speak both.
        TestCertificates certificates = TestCertificates.make(dir);
        Path webConfig = dir.resolve("web.yml");
        Files.writeString(webConfig, "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                + "basic_auth_users:\n  " + USER + ": "
                + new String(BCrypt.withDefaults().hash(10, PASSWORD.toCharArray()), StandardCharsets.UTF_8) + "\n");
        web = WebConfig.load(webConfig);
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .sslContext(certificates.clientContext()).build();
        scheme = "https";
        authorization = "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD)
                .getBytes(StandardCharsets.UTF_8));
        int portA = freePort();
        int portB = freePort();
        try (EmbeddedKafka broker = EmbeddedKafka.start(dir.resolve("kafka"))) {
            RunwatchApp a = start(broker, "a", portA, portA, "runwatch-iq");
            RunwatchApp b = start(broker, "b", portB, portB, "runwatch-iq");
            try {
                awaitBothRunning(a, b);
                List<Planned> runs = produceRuns(broker.bootstrapServers(), "iq-", 100);
                int misplacedPartition = produceMisplaced(broker.bootstrapServers());
                Map<String, Told> told = awaitAlerts(broker.bootstrapServers(), runs);

                Map<String, Integer> servedBy = new HashMap<>();
                for (Planned run : runs) {
                    for (int port : new int[] {portA, portB}) {
                        JsonNode detail = answeredRun(port, run.run());
                        assertRun(detail, run, told.get(run.run()));
                        servedBy.merge(detail.get("served_by").asText(), 1, Integer::sum);
                    }
                }
                System.out.println("InteractiveQueriesIT: 200 runs x 2 instances answered; served by " + servedBy);
                System.out.println("InteractiveQueriesIT: example GET /runs/iq-000: " + answeredRun(portA, "iq-000"));
                System.out.println("InteractiveQueriesIT: example GET /runs/iq-001: " + answeredRun(portB, "iq-001"));
                assertThat(servedBy).as("both instances own runs: half the answers were forwarded")
                        .containsOnlyKeys("127.0.0.1:" + portA, "127.0.0.1:" + portB);
                assertListsAgree(portB, runs, told);
                for (int port : new int[] {portA, portB}) {
                    assertMisplaced(port, misplacedPartition);
                    HttpResponse<String> unknown = get(port, "/runs/" + encode("never-seen"));
                    assertThat(unknown.statusCode()).isEqualTo(404);
                    assertThat(JSON.readTree(unknown.body()).get("searched_partitions")).as("404 only once every "
                            + "partition was read").hasSize(PARTITIONS);
                }
                String anonymous = authorization;
                authorization = null;
                assertThat(get(portA, "/runs").statusCode()).as("queries need the same credentials as /metrics")
                        .isEqualTo(401);
                authorization = anonymous;

                long stopped = System.nanoTime();
                b.close();
                int stale = 0;
                for (Planned run : runs) {
                    JsonNode detail = answeredRun(portA, run.run());
                    assertRun(detail, run, told.get(run.run()));
                    assertThat(detail.get("served_by").asText()).isEqualTo("127.0.0.1:" + portA);
                    stale += detail.get("stale").asBoolean() ? 1 : 0;
                }
                System.out.printf("InteractiveQueriesIT: after b stopped, all 100 runs answered by a within %.1f s"
                        + " (%d of them from a stale copy)%n", (System.nanoTime() - stopped) / 1e9, stale);
                assertMisplaced(portA, misplacedPartition);
                await().atMost(ANSWER_WITHIN).untilAsserted(() -> assertListsAgree(portA, runs, told));
                Map<String, Told> toldAfter = awaitAlerts(broker.bootstrapServers(), runs);
                assertThat(summary(toldAfter)).as("no episode opened or closed meanwhile: the comparison held still")
                        .isEqualTo(summary(told));
            } finally {
                b.close();
                a.close();
            }
        }
    }

    @Test
    void anInstanceThatCannotBeReachedIsReplacedByItsStandbyCopyAndListsSayWhatIsMissing() throws Exception {
        int portA = freePort();
        int portB = freePort();
        int nobody = freePort(); // b advertises an address where nothing listens: a network partition between them
        try (EmbeddedKafka broker = EmbeddedKafka.start(dir.resolve("kafka"))) {
            RunwatchApp a = start(broker, "a", portA, portA, "runwatch-iq-partition");
            RunwatchApp b = start(broker, "b", portB, nobody, "runwatch-iq-partition");
            try {
                awaitBothRunning(a, b);
                List<Planned> runs = produceRuns(broker.bootstrapServers(), "cut-", 20);
                Map<String, Told> told = awaitAlerts(broker.bootstrapServers(), runs);
                // Until both standbys have caught up a run of b's may be 503 from a; then a's stale copy answers.
                int stale = 0;
                for (Planned run : runs) {
                    JsonNode detail = answeredRun(portA, run.run());
                    assertRun(detail, run, told.get(run.run()));
                    assertThat(detail.get("served_by").asText()).isEqualTo("127.0.0.1:" + portA);
                    stale += detail.get("stale").asBoolean() ? 1 : 0;
                }
                assertThat(stale).as("b's runs come from a's standby copies, flagged stale").isPositive();

                JsonNode list = JSON.readTree(get(portA, "/runs").body());
                assertThat(list.get("complete").asBoolean()).isFalse();
                assertThat(list.get("unreachable")).hasSize(1);
                assertThat(list.get("unreachable").get(0).get("instance").asText()).isEqualTo("127.0.0.1:" + nobody);
                assertThat(list.get("missing_partitions")).isNotEmpty();
                Set<Integer> missing = new HashSet<>();
                list.get("missing_partitions").forEach(p -> missing.add(p.asInt()));
                assertThat(missing.size()).isLessThan(PARTITIONS);
                for (JsonNode item : list.get("runs")) {
                    assertThat(missing).doesNotContain(item.get("partition").asInt());
                }
                assertThat(list.get("runs").size()).as("a's own runs, every one of them")
                        .isEqualTo(runs.size() - stale);
                System.out.printf("InteractiveQueriesIT: b unreachable: %d of %d runs from a's stale copies; /runs "
                        + "listed %d runs, missing partitions %s%n", stale, runs.size(), list.get("runs").size(),
                        missing);
            } finally {
                b.close();
                a.close();
            }
        }
    }

    private RunwatchApp start(EmbeddedKafka broker, String name, int httpPort, int advertisedPort, String appId)
            throws IOException {
        Settings settings = Settings.defaults()
                .with(Settings.APPLICATION_ID, appId)
                .with(Settings.TOPIC_PARTITIONS, PARTITIONS)
                .with(Settings.STREAMS_STANDBYS, 1)
                .with(Settings.STREAMS_APPLICATION_SERVER, "127.0.0.1:" + advertisedPort)
                .with(Settings.QUERY_FORWARD_TIMEOUT_MS, 2_000L);
        return RunwatchApp.start(settings, new RunwatchApp.Options(broker.bootstrapServers(), new Properties(),
                dir.resolve("state-" + appId + "-" + name), "127.0.0.1", httpPort, web));
    }

    private static void awaitBothRunning(RunwatchApp a, RunwatchApp b) {
        await().atMost(Duration.ofSeconds(90)).until(() -> a.state() == KafkaStreams.State.RUNNING
                && b.state() == KafkaStreams.State.RUNNING);
    }

    /**
     * Runs of three kinds: every fifth logs NaN last (an open page with a rollback target), the next one logs NaN
     * then a finite loss (a resolved page), the rest are clean; every tenth (with an open page) has evaluations
     * of two checkpoints.
     */
    private static List<Planned> produceRuns(String bootstrap, String prefix, int count) {
        List<Planned> runs = new ArrayList<>();
        long t0 = System.currentTimeMillis() - 8_000; // recent: silence is not a stall during the test
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
            for (int i = 0; i < count; i++) {
                String run = prefix + String.format("%03d", i);
                long lastStep = 5;
                for (int step = 1; step <= 5; step++) {
                    metric(producer, run, step, t0 + step * 1000, String.valueOf(3.0 - step * 0.05));
                }
                if (i % 5 == 0 || i % 5 == 1) {
                    metric(producer, run, 6, t0 + 6000, "NaN");
                    lastStep = 6;
                }
                if (i % 5 == 1) {
                    metric(producer, run, 7, t0 + 7000, "2.7");
                    lastStep = 7;
                }
                boolean evaluated = i % 10 == 0;
                if (evaluated) {
                    for (int checkpoint = 1; checkpoint <= 2; checkpoint++) {
                        producer.send(new ProducerRecord<>(Topics.EVALS.name(), run, "{\"run\":\"" + run
                                + "\",\"step\":" + checkpoint * 1000 + ",\"benchmark\":\"arc_easy\",\"value\":"
                                + (0.50 + checkpoint * 0.01) + ",\"stderr\":0.01,\"time\":" + (t0 + checkpoint)
                                + "}"));
                    }
                }
                runs.add(new Planned(run, lastStep, evaluated));
            }
            producer.flush();
        }
        return runs;
    }

    /**
     * A run written to another partition than Kafka's default partitioner picks for its key, as a librdkafka
     * producer (CRC32) does: the metadata's owner does not have it, yet it must be found.
     */
    private static int produceMisplaced(String bootstrap) {
        int partition = (Utils.toPositive(Utils.murmur2(MISPLACED.getBytes(StandardCharsets.UTF_8))) + 1)
                % PARTITIONS;
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
            long t0 = System.currentTimeMillis() - 8_000;
            for (int step = 1; step <= 3; step++) {
                producer.send(new ProducerRecord<>(Topics.METRICS.name(), partition, MISPLACED, "{\"run\":\""
                        + MISPLACED + "\",\"step\":" + step + ",\"time\":" + (t0 + step * 1000) + ",\"loss\":2.0}"));
            }
            producer.flush();
        }
        return partition;
    }

    private void assertMisplaced(int port, int partition) throws Exception {
        JsonNode detail = answeredRun(port, MISPLACED);
        assertThat(detail.get("partition").asInt()).isEqualTo(partition);
        assertThat(detail.get("training").get("last_step").asLong()).isEqualTo(3);
    }

    private static void metric(KafkaProducer<String, String> producer, String run, int step, long timeMs,
                               String loss) {
        producer.send(new ProducerRecord<>(Topics.METRICS.name(), run, "{\"run\":\"" + run + "\",\"step\":" + step
                + ",\"time\":" + timeMs + ",\"loss\":" + loss + "}"));
    }

    /** Reads runwatch.alerts (read committed) until every planned page fired and every planned resolve came. */
    private static Map<String, Told> awaitAlerts(String bootstrap, List<Planned> runs) {
        long pages = runs.stream().filter(r -> r.lastStep() >= 6).count();
        long resolves = runs.stream().filter(r -> r.lastStep() == 7).count();
        List<ConsumerRecord<String, String>> records = KafkaTestSupport.readUntil(bootstrap, Topics.ALERTS.name(),
                seen -> count(seen, "firing", "nonfinite") >= pages && count(seen, "resolved", "nonfinite") >= resolves,
                Duration.ofSeconds(90));
        Map<String, Told> told = new HashMap<>();
        runs.forEach(r -> told.put(r.run(), new Told()));
        for (ConsumerRecord<String, String> record : records) {
            JsonNode alert = tree(record.value());
            Told run = told.get(alert.get("run").asText());
            if (run == null) {
                continue;
            }
            String id = alert.get("id").asText();
            if (alert.get("state").asText().equals("firing")) {
                run.openRollback.put(id, alert.hasNonNull("rollback_to_step")
                        ? alert.get("rollback_to_step").asLong() : null);
            } else {
                run.openRollback.remove(id);
                run.resolved.add(id);
            }
        }
        assertThat(told.values().stream().mapToLong(t -> t.openRollback.size()).sum())
                .as("open pages, one per NaN-last run").isGreaterThanOrEqualTo(pages - resolves);
        return told;
    }

    private static long count(List<ConsumerRecord<String, String>> records, String state, String type) {
        return records.stream().map(r -> tree(r.value()))
                .filter(a -> a.get("state").asText().equals(state) && a.get("type").asText().equals(type)).count();
    }

    private static String summary(Map<String, Told> told) {
        StringBuilder out = new StringBuilder();
        new TreeMap<>(told).forEach((run, t) -> out.append(run).append(t.openRollback).append(t.resolved)
                .append('\n'));
        return out.toString();
    }

    private static void assertRun(JsonNode detail, Planned run, Told told) {
        assertThat(detail.get("run").asText()).isEqualTo(run.run());
        assertThat(detail.get("training").get("last_step").asLong()).as(run.run()).isEqualTo(run.lastStep());
        Map<String, Long> open = new TreeMap<>();
        for (JsonNode episode : detail.get("open_episodes")) {
            assertThat(episode.get("state").asText()).isEqualTo("firing");
            open.put(episode.get("id").asText(), episode.hasNonNull("rollback_to_step")
                    ? episode.get("rollback_to_step").asLong() : null);
        }
        assertThat(open).as(run.run() + " open episodes and their rollback targets = runwatch.alerts")
                .isEqualTo(told.openRollback);
        Set<String> recent = new TreeSet<>();
        detail.get("recent_episodes").forEach(e -> recent.add(e.get("id").asText()));
        assertThat(recent).as(run.run() + " resolved episodes").isEqualTo(told.resolved);
        assertThat(detail.get("liveness").get("position").asLong()).isEqualTo(run.lastStep());
        if (run.evaluated()) {
            JsonNode evaluation = detail.get("evaluations").get(0);
            assertThat(detail.get("evaluations")).hasSize(1);
            assertThat(evaluation.get("benchmark").asText()).isEqualTo("arc_easy");
            assertThat(evaluation.get("step").asLong()).isEqualTo(2000);
            assertThat(evaluation.get("score").asDouble()).isEqualTo(0.52);
            assertThat(evaluation.get("checkpoints_seen").asLong()).isEqualTo(2);
            assertThat(evaluation.get("noise_class").asText()).isEqualTo("normal");
        } else {
            assertThat(detail.get("evaluations")).isEmpty();
        }
    }

    /** /runs and /alerts?state=firing merged from both instances: every run once, open alerts as told. */
    private void assertListsAgree(int port, List<Planned> runs, Map<String, Told> told) throws Exception {
        JsonNode list = JSON.readTree(get(port, "/runs").body());
        assertThat(list.get("complete").asBoolean()).as(list.toString()).isTrue();
        assertThat(list.get("partitions").asInt()).isEqualTo(PARTITIONS);
        Map<String, Long> lastSteps = new TreeMap<>();
        Set<String> openFromList = new TreeSet<>();
        for (JsonNode item : list.get("runs")) {
            lastSteps.put(item.get("run").asText(), item.get("last_step").asLong());
            item.get("open_alerts").forEach(e -> openFromList.add(e.get("id").asText()));
        }
        Map<String, Long> planned = new TreeMap<>();
        runs.forEach(r -> planned.put(r.run(), r.lastStep()));
        planned.put(MISPLACED, 3L); // listed too, from the partition it was written to
        assertThat(lastSteps).isEqualTo(planned);
        Set<String> openTold = new TreeSet<>();
        told.values().forEach(t -> openTold.addAll(t.openRollback.keySet()));
        assertThat(openFromList).isEqualTo(openTold);

        JsonNode firing = JSON.readTree(get(port, "/alerts?state=firing").body());
        assertThat(firing.get("complete").asBoolean()).isTrue();
        Set<String> firingIds = new TreeSet<>();
        firing.get("alerts").forEach(e -> firingIds.add(e.get("id").asText()));
        assertThat(firingIds).isEqualTo(openTold);
        JsonNode resolved = JSON.readTree(get(port, "/alerts?state=resolved").body());
        Set<String> resolvedIds = new TreeSet<>();
        resolved.get("alerts").forEach(e -> resolvedIds.add(e.get("id").asText()));
        Set<String> resolvedTold = new TreeSet<>();
        told.values().forEach(t -> resolvedTold.addAll(t.resolved));
        assertThat(resolvedIds).isEqualTo(resolvedTold);
    }

    /** GET /runs/{id}, asked again while the answer is 503 (a partition moving); any other answer is final. */
    private JsonNode answeredRun(int port, String run) throws Exception {
        long deadline = System.nanoTime() + ANSWER_WITHIN.toNanos();
        HttpResponse<String> response = get(port, "/runs/" + encode(run));
        while (response.statusCode() == 503 && System.nanoTime() < deadline) {
            assertThat(response.headers().firstValue("Retry-After")).isPresent();
            Thread.sleep(200);
            response = get(port, "/runs/" + encode(run));
        }
        assertThat(response.statusCode()).as(run + " on :" + port + ": " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(scheme + "://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String encode(String run) {
        return URLEncoder.encode(run, StandardCharsets.UTF_8);
    }

    private static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
