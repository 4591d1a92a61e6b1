package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.config.Settings;
import io.runwatch.topology.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault suite of issue #11 on a real broker: more than 10,000 malformed records (see {@link FaultCorpus}: by
 * hand and generated with jqwik) interleaved with the good records of 50 runs, one of which turns NaN. Every bad
 * record must reach the dead-letter topic exactly once, with a reason and within the size bound; every good one
 * must be processed exactly once; no stream thread may die or be replaced; the NaN pages and nothing else fires.
 */
class FaultSuiteIT {
    private static final long SEED = 20_261_206L;
    private static final int RUNS = 50;
    private static final int STEPS = 100;
    private static final int NAN_STEP = 80;
    private static final int SMALL_BAD_PER_STEP = 2; // per run and step, on average
    private static final int MAX_INPUT_BYTES = 524_288;
    private static final Set<String> REASONS = Set.of("too_large", "not_utf8", "malformed_json", "not_an_object",
            "missing_field", "wrong_type", "invalid_value", "implausible_step");

    @TempDir
    Path dataDir;

    @Test
    void tenThousandBadRecordsAreDeadLetteredAndTheGoodOnesOfFiftyRunsAreWatchedAsIfTheyWereNotThere()
            throws Exception {
        Settings settings = Settings.defaults().with(Settings.MAX_RECORD_BYTES, MAX_INPUT_BYTES);
        FaultCorpus corpus = FaultCorpus.seeded(SEED);
        Random random = new Random(SEED);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        List<FaultCorpus.Bad> bad = new ArrayList<>();
        Map<String, Integer> goodPerTopic = new HashMap<>();
        String nanRun = "fault-run-07";
        for (int step = 1; step <= STEPS; step++) {
            for (int r = 0; r < RUNS; r++) {
                String run = String.format(Locale.ROOT, "fault-run-%02d", r);
                boolean nan = run.equals(nanRun) && step >= NAN_STEP;
                double loss = 3.0 - 0.002 * step + 0.001 * ((step * 7 + r) % 5);
                String good = FaultCorpus.goodMetric(run, step, loss);
                records.add(record(Topics.METRICS.name(), run, (nan ? good.replaceFirst("\"loss\":[0-9.]+",
                        "\"loss\":NaN") : good).getBytes(StandardCharsets.UTF_8)));
                goodPerTopic.merge(Topics.METRICS.name(), 1, Integer::sum);
                int smallBad = random.nextInt(2 * SMALL_BAD_PER_STEP + 1);
                for (int i = 0; i < smallBad; i++) {
                    add(records, bad, corpus.small(run, step));
                }
                // At most one absurd jump per run every 10 steps, followed by good steps that refuse it.
                if (step % 10 == 3 && step < STEPS - 5) {
                    add(records, bad, corpus.implausibleStep(run, step));
                }
                if (random.nextInt(50) == 0) {
                    add(records, bad, corpus.badEvent(run));
                }
            }
            if (step == 40) { // a handful of big ones: just under the input limit, and over it
                for (int size : new int[] {MAX_INPUT_BYTES - 10, MAX_INPUT_BYTES / 2, 300_000}) {
                    add(records, bad, corpus.oversized("fault-run-01", size));
                }
                for (int size : new int[] {MAX_INPUT_BYTES + 1, 700_000, 900_000}) {
                    add(records, bad, corpus.oversized("fault-run-02", size));
                }
            }
        }
        for (int r = 0; r < RUNS; r++) {
            String run = String.format(Locale.ROOT, "fault-run-%02d", r);
            records.add(record(Topics.EVENTS.name(), run, ("{\"run\":\"" + run + "\",\"type\":\"end\",\"step\":"
                    + STEPS + ",\"status\":\"completed\"}").getBytes(StandardCharsets.UTF_8)));
            goodPerTopic.merge(Topics.EVENTS.name(), 1, Integer::sum);
        }
        assertThat(bad).as("corpus size").hasSizeGreaterThanOrEqualTo(10_000);
        System.out.printf(Locale.ROOT, "fault corpus (seed %d): %d bad records %s, %d good%n", SEED, bad.size(),
                countKinds(bad), records.size() - bad.size());

        try (MonitorUnderTest monitor = MonitorUnderTest.start(dataDir, settings)) {
            Set<String> threadsBefore = StreamThreads.alive();
            long started = System.nanoTime();
            send(monitor.bootstrapServers(), records);

            int expectedDead = bad.size();
            List<ConsumerRecord<String, String>> dead = KafkaTestSupport.readUntil(monitor.bootstrapServers(),
                    Topics.DEAD_LETTER.name(), seen -> seen.size() >= expectedDead, Duration.ofSeconds(180));
            System.out.printf(Locale.ROOT, "fault suite: %d records, dead letters all out after %.1f s%n",
                    records.size(), (System.nanoTime() - started) / 1e9);

            // Every input record was read exactly once, and exactly the bad ones were refused.
            Map<String, Integer> badPerTopic = new HashMap<>();
            bad.forEach(b -> badPerTopic.merge(b.topic(), 1, Integer::sum));
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                String scrape = monitor.get("/metrics");
                for (String topic : List.of(Topics.METRICS.name(), Topics.EVALS.name(), Topics.EVENTS.name())) {
                    int total = goodPerTopic.getOrDefault(topic, 0) + badPerTopic.getOrDefault(topic, 0);
                    assertThat(sum(scrape, "runwatch_records_total\\{topic=\"" + Pattern.quote(topic) + "\"}"))
                            .as("records read from %s", topic).isEqualTo(total);
                    assertThat(sum(scrape, "runwatch_records_rejected_total\\{reason=\"[a-z0-9_]+\",topic=\""
                            + Pattern.quote(topic) + "\"}")).as("records refused from %s", topic)
                            .isEqualTo((long) badPerTopic.getOrDefault(topic, 0));
                }
            });

            // Every bad record is in the dead-letter topic once, with a reason, within the bound.
            int bound = settings.integer(Settings.DEADLETTER_MAX_RECORD_BYTES);
            Map<String, Integer> refusedByHash = new HashMap<>();
            Map<String, Integer> reasons = new TreeMap<>();
            long implausible = 0;
            for (ConsumerRecord<String, String> letter : dead) {
                assertThat(letter.value().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(bound);
                JsonNode json = KafkaTestSupportJson.tree(letter.value());
                String reason = json.get("reason").asText();
                assertThat(reason).isIn(REASONS);
                assertThat(json.get("detail").asText()).isNotBlank();
                reasons.merge(reason, 1, Integer::sum);
                if (reason.equals("implausible_step")) {
                    implausible++; // re-encoded by the guard: matched by count below
                } else {
                    refusedByHash.merge(json.get("originalSha256").asText(), 1, Integer::sum);
                }
            }
            System.out.println("fault suite dead letters by reason: " + reasons);
            Map<String, Integer> expectedByHash = new HashMap<>();
            long expectedImplausible = 0;
            for (FaultCorpus.Bad b : bad) {
                if (b.kind() == FaultCorpus.Kind.IMPLAUSIBLE_STEP) {
                    expectedImplausible++;
                } else {
                    expectedByHash.merge(sha256(b.value()), 1, Integer::sum);
                }
            }
            assertThat(dead).hasSize(expectedDead);
            assertThat(refusedByHash).isEqualTo(expectedByHash);
            assertThat(implausible).isEqualTo(expectedImplausible);
            assertThat(reasons).containsKeys("too_large", "not_utf8", "malformed_json", "wrong_type",
                    "invalid_value", "implausible_step");

            // The NaN pages, once; nothing else fires; every good run's newest step is its last. All input is
            // processed by now (counted above), so whatever alert it caused is committed within a few seconds.
            List<JsonNode> alerts = KafkaTestSupport.readUntil(monitor.bootstrapServers(), Topics.ALERTS.name(),
                            seen -> false, Duration.ofSeconds(8)).stream()
                    .map(ConsumerRecord::value).map(KafkaTestSupportJson::tree).toList();
            assertThat(alerts).filteredOn(a -> a.get("state").asText().equals("firing"))
                    .extracting(a -> a.get("run").asText() + "/" + a.get("type").asText() + "@" + a.get("step")
                            .asLong()).containsExactly(nanRun + "/nonfinite@" + NAN_STEP);
            String scrape = monitor.get("/metrics");
            for (int r = 0; r < RUNS; r++) {
                assertThat(scrape).contains(String.format(Locale.ROOT,
                        "runwatch_run_step{run=\"fault-run-%02d\"} %d.0", r, STEPS));
            }
            assertThat(sum(scrape, "runwatch_run_restarts_total\\{run=\"fault-run-[0-9]+\"}")).as("restarts").isZero();
            assertThat(sum(scrape, "runwatch_run_lost_steps_total\\{run=\"fault-run-[0-9]+\"}")).as("lost steps")
                    .isZero();
            assertThat(StreamThreads.alive()).as("no stream thread died or was replaced").isEqualTo(threadsBefore);
        }
    }

    private static void add(List<ProducerRecord<byte[], byte[]>> records, List<FaultCorpus.Bad> bad,
                            FaultCorpus.Bad b) {
        records.add(record(b.topic(), b.key(), b.value()));
        bad.add(b);
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String key, byte[] value) {
        return new ProducerRecord<>(topic, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value);
    }

    /** Sends in order and checks every send: a lost record would make the counts meaningless. */
    private static void send(String bootstrap, List<ProducerRecord<byte[], byte[]>> records) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2_000_000);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 262_144);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (ProducerRecord<byte[], byte[]> record : records) {
                sent.add(producer.send(record));
            }
            producer.flush();
            for (Future<RecordMetadata> future : sent) {
                future.get();
            }
        }
    }

    private static long sum(String scrape, String seriesRegex) {
        Matcher m = Pattern.compile("(?m)^" + seriesRegex + " ([0-9.E+]+)$").matcher(scrape);
        double total = 0;
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
        }
        return Math.round(total);
    }

    private static Map<FaultCorpus.Kind, Integer> countKinds(List<FaultCorpus.Bad> bad) {
        Map<FaultCorpus.Kind, Integer> counts = new TreeMap<>();
        bad.forEach(b -> counts.merge(b.kind(), 1, Integer::sum));
        return counts;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
