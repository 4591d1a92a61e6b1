package io.runwatch.app;

import io.runwatch.ingest.follow.OffsetFile;
import io.runwatch.ingest.follow.TailState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Commits a tailer's records to the runwatch topics in Kafka transactions, and finds the tailer's last committed
 * state again after a crash (see {@link Tailer} for the whole exactly-once argument). Headers:
 * {@value #TAILER_HEADER} (the tailer id) and {@value #POSITION_HEADER} (source path and end offset of the line)
 * on every record; {@value #STATE_HEADER} (the {@link TailState} JSON after the transaction) on the last one.
 */
final class KafkaTailSink implements Tailer.Sink {
    static final String TAILER_HEADER = "runwatch-tail-id";
    static final String POSITION_HEADER = "runwatch-tail-pos";
    static final String STATE_HEADER = "runwatch-tail-state";
    static final List<String> TOPICS = List.of("runwatch.metrics", "runwatch.events", "runwatch.evals");
    /** The recovery scan starts this long before the offset file's save time: clock steps, slow commits. */
    static final long RECOVERY_MARGIN_MS = 60_000;

    private final String bootstrapServers;
    private final Properties kafkaConfig;
    private KafkaProducer<String, String> producer;
    private String tailerId;

    KafkaTailSink(String bootstrapServers, Properties kafkaConfig) {
        this.bootstrapServers = bootstrapServers;
        this.kafkaConfig = kafkaConfig;
    }

    static String transactionalId(String tailerId) {
        return "runwatch-tail-" + tailerId;
    }

    @Override
    public TailState recover(TailState saved) {
        tailerId = saved.tailerId();
        Properties props = new Properties();
        props.putAll(kafkaConfig);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId(tailerId));
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
        // Fences an earlier incarnation of this tailer and aborts whatever transaction it left open.
        producer.initTransactions();
        TailState newest = saved;
        for (TailState committed : committedStatesSince(saved.savedAtMs() - RECOVERY_MARGIN_MS)) {
            if (committed.transaction() > newest.transaction()) {
                newest = committed;
            }
        }
        return newest;
    }

    /** The state headers this tailer committed in records stamped at or after {@code fromMs}. */
    private List<TailState> committedStatesSince(long fromMs) {
        Properties props = new Properties();
        props.putAll(kafkaConfig);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        List<TailState> found = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : TOPICS) {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(60));
                if (infos == null || infos.isEmpty()) {
                    throw new IllegalStateException("topic " + topic + " does not exist at " + bootstrapServers
                            + ": start runwatch once (it creates its topics) or create it");
                }
                for (PartitionInfo info : infos) {
                    partitions.add(new TopicPartition(topic, info.partition()));
                }
            }
            consumer.assign(partitions);
            Map<TopicPartition, Long> from = new HashMap<>();
            partitions.forEach(p -> from.put(p, Math.max(0, fromMs)));
            Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(from, Duration.ofSeconds(60));
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(60));
            List<TopicPartition> toRead = new ArrayList<>();
            for (TopicPartition p : partitions) {
                OffsetAndTimestamp start = starts.get(p);
                if (start != null && start.offset() < ends.get(p)) {
                    consumer.seek(p, start.offset());
                    toRead.add(p);
                }
            }
            consumer.assign(toRead);
            while (toRead.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    Header tailer = record.headers().lastHeader(TAILER_HEADER);
                    Header state = record.headers().lastHeader(STATE_HEADER);
                    if (tailer != null && state != null
                            && tailerId.equals(new String(tailer.value(), StandardCharsets.UTF_8))) {
                        found.add(OffsetFile.fromJson(new String(state.value(), StandardCharsets.UTF_8)));
                    }
                }
            }
        }
        return found;
    }

    @Override
    public void commit(List<Tailer.Outgoing> records, TailState after) {
        AtomicReference<Exception> failed = new AtomicReference<>();
        byte[] tailer = tailerId.getBytes(StandardCharsets.UTF_8);
        producer.beginTransaction();
        try {
            for (int i = 0; i < records.size(); i++) {
                Tailer.Outgoing o = records.get(i);
                RecordHeaders headers = new RecordHeaders();
                headers.add(TAILER_HEADER, tailer);
                headers.add(POSITION_HEADER, (o.sourceId() + ":" + o.offset()).getBytes(StandardCharsets.UTF_8));
                if (i == records.size() - 1) {
                    headers.add(STATE_HEADER, OffsetFile.toJson(after).getBytes(StandardCharsets.UTF_8));
                }
                // Stamped now: a trainer's clock (in the "time" field) may be skewed, and a broker refuses
                // records more than an hour ahead of its own.
                producer.send(new ProducerRecord<>(o.topic(), null, System.currentTimeMillis(), o.record().run(),
                        o.record().json(), headers), (metadata, e) -> {
                            if (e != null) {
                                failed.compareAndSet(null, e);
                            }
                        });
            }
            producer.commitTransaction();
        } catch (KafkaException e) {
            abortQuietly();
            throw e;
        }
        if (failed.get() != null) {
            throw new KafkaException("a send of the committed transaction failed", failed.get());
        }
    }

    private void abortQuietly() {
        try {
            producer.abortTransaction();
        } catch (KafkaException ignored) {
            // fenced or broken producer: the broker aborts the transaction itself
        }
    }

    @Override
    public void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(10));
        }
    }
}
