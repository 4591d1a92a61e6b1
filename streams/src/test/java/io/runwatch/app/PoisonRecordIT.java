package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.config.Settings;
import io.runwatch.topology.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #11's first bug, reproduced on a real broker: a malformed record of a few hundred KB (below
 * {@code input.max.record.bytes}) used to become a dead letter larger than the producer's {@code max.request.size};
 * the send failed, the stream thread died, was replaced, re-read the record and died again, and the NaN after it
 * never paged.
 */
class PoisonRecordIT {
    @TempDir
    Path dataDir;

    @Test
    void aLargeMalformedRecordIsDeadLetteredWithinTheBoundAndTheRunAfterItStillPages() throws Exception {
        try (MonitorUnderTest monitor = MonitorUnderTest.start(dataDir, Settings.defaults())) {
            Set<String> threadsBefore = StreamThreads.alive();
            assertThat(threadsBefore).isNotEmpty();
            String poison = "{\"run\":\"poison\",\"step\":4,\"loss\":\"" + "x".repeat(500_000); // never closed
            KafkaTestSupport.produce(monitor.bootstrapServers(), Topics.METRICS.name(), "poison", List.of(
                    "{\"run\":\"poison\",\"step\":1,\"loss\":3.0,\"grad_norm\":1.0}",
                    "{\"run\":\"poison\",\"step\":2,\"loss\":2.9,\"grad_norm\":1.0}",
                    poison,
                    "{\"run\":\"poison\",\"step\":5,\"loss\":2.8,\"grad_norm\":1.0}",
                    "{\"run\":\"poison\",\"step\":6,\"loss\":NaN,\"grad_norm\":1.0}"));

            List<JsonNode> alerts = KafkaTestSupport.readUntil(monitor.bootstrapServers(), Topics.ALERTS.name(),
                            records -> !records.isEmpty(), Duration.ofSeconds(60)).stream()
                    .map(ConsumerRecord::value).map(KafkaTestSupportJson::tree).toList();
            assertThat(alerts).as("the NaN after the poison record pages").extracting(
                    a -> a.get("type").asText() + "@" + a.get("step").asLong()).containsExactly("nonfinite@6");

            List<ConsumerRecord<String, String>> dead = KafkaTestSupport.readUntil(monitor.bootstrapServers(),
                    Topics.DEAD_LETTER.name(), records -> !records.isEmpty(), Duration.ofSeconds(30));
            assertThat(dead).hasSize(1);
            JsonNode letter = KafkaTestSupportJson.tree(dead.get(0).value());
            assertThat(letter.get("reason").asText()).isEqualTo("malformed_json");
            assertThat(dead.get(0).value().getBytes(StandardCharsets.UTF_8).length)
                    .isLessThanOrEqualTo(Settings.defaults().integer(Settings.DEADLETTER_MAX_RECORD_BYTES));
            assertThat(letter.get("originalSize").asLong()).isEqualTo(poison.length());
            assertThat(letter.get("truncated").asBoolean()).isTrue();
            assertThat(letter.get("originalText").asText()).startsWith("{\"run\":\"poison\",\"step\":4");
            assertThat(StreamThreads.alive()).as("no stream thread died or was replaced").isEqualTo(threadsBefore);
        }
    }

    /**
     * An operator's producer {@code max.request.size} below the dead-letter bound. Under exactly-once a send
     * that fails for size poisons the transaction (no exception handler can skip it: measured, the thread died
     * and was replaced in a loop), so the letters are cut to fit the producer instead.
     */
    @Test
    void aProducerLimitBelowTheDeadLetterBoundCutsTheLettersToFitIt() throws Exception {
        Properties kafka = new Properties();
        kafka.put("producer.max.request.size", "20000");
        try (MonitorUnderTest monitor = MonitorUnderTest.start(dataDir, Settings.defaults(), kafka)) {
            Set<String> threadsBefore = StreamThreads.alive();
            KafkaTestSupport.produce(monitor.bootstrapServers(), Topics.METRICS.name(), "big", List.of(
                    "{\"run\":\"big\",\"step\":1,\"loss\":3.0,\"grad_norm\":1.0}",
                    "{\"run\":\"big\",\"step\":2,\"loss\":\"" + "x".repeat(300_000),
                    "{\"run\":\"big\",\"step\":3,\"loss\":\"oops\"}",
                    "{\"run\":\"big\",\"step\":4,\"loss\":NaN,\"grad_norm\":1.0}"));
            List<JsonNode> alerts = KafkaTestSupport.readUntil(monitor.bootstrapServers(), Topics.ALERTS.name(),
                            records -> !records.isEmpty(), Duration.ofSeconds(60)).stream()
                    .map(ConsumerRecord::value).map(KafkaTestSupportJson::tree).toList();
            assertThat(alerts).extracting(a -> a.get("type").asText() + "@" + a.get("step").asLong())
                    .containsExactly("nonfinite@4");
            List<ConsumerRecord<String, String>> dead = KafkaTestSupport.readUntil(monitor.bootstrapServers(),
                    Topics.DEAD_LETTER.name(), records -> records.size() >= 2, Duration.ofSeconds(20));
            assertThat(dead).extracting(r -> KafkaTestSupportJson.tree(r.value()).get("reason").asText())
                    .containsExactly("malformed_json", "wrong_type");
            assertThat(dead.get(0).value().getBytes(StandardCharsets.UTF_8).length).isLessThan(20_000);
            assertThat(StreamThreads.alive()).as("no stream thread died or was replaced").isEqualTo(threadsBefore);
        }
    }
}
