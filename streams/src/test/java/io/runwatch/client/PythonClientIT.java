package io.runwatch.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.app.EmbeddedKafka;
import io.runwatch.app.KafkaTestSupport;
import io.runwatch.contract.InputParser;
import io.runwatch.topology.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python client produces through confluent_kafka (Debian's python3-confluent-kafka, which .ci/run installs)
 * to a real broker: each record on its topic, keyed by run, once, and valid contract input.
 */
class PythonClientIT {
    @TempDir
    static Path dir;
    static EmbeddedKafka broker;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(PythonClient.canImportConfluentKafka(),
                PythonClient.interpreter() + " cannot import confluent_kafka "
                        + "(apt-get install python3-confluent-kafka)");
        broker = EmbeddedKafka.start(dir.resolve("kafka"));
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(Topics.INPUTS.stream().map(t -> new NewTopic(t, 1, (short) 1)).toList()).all().get();
        }
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void everyRecordArrivesOnItsTopicKeyedByRunOnceAndParses() throws Exception {
        PythonClient.run(dir, "kafka", broker.bootstrapServers());
        InputParser contract = new InputParser(1 << 20);
        Map<String, Integer> expected = Map.of(Topics.METRICS.name(), 7, Topics.EVALS.name(), 2,
                Topics.EVENTS.name(), 3);
        for (Map.Entry<String, Integer> topic : expected.entrySet()) {
            List<ConsumerRecord<String, String>> records = KafkaTestSupport.readUntil(broker.bootstrapServers(),
                    topic.getKey(), r -> r.size() > topic.getValue(), Duration.ofSeconds(5));
            assertThat(records).as(topic.getKey()).hasSize(topic.getValue());
            for (ConsumerRecord<String, String> record : records) {
                assertThat(record.key()).isEqualTo(PythonClient.RUN);
                InputParser.Kind kind = PythonClient.kindOf(record.value());
                assertThat(kind.name().toLowerCase()).isEqualTo(topic.getKey().replace("runwatch.", ""));
                assertThat(contract.parse(kind, record.value().getBytes(StandardCharsets.UTF_8), record.timestamp())
                        .isOk()).as(record.value()).isTrue();
            }
            if (topic.getKey().equals(Topics.METRICS.name())) {
                assertThat(records).anyMatch(r -> r.value().contains("\"loss\":NaN"));
            }
        }
    }
}
