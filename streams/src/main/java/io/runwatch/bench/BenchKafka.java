package io.runwatch.bench;

import io.runwatch.topology.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** The broker side of the benchmark: fresh topics, producers, and how far a consumer group has got. */
final class BenchKafka implements AutoCloseable {
    private final String bootstrap;
    private final Properties clientConfig;
    private final Admin admin;

    BenchKafka(String bootstrap, Properties clientConfig) {
        this.bootstrap = bootstrap;
        this.clientConfig = clientConfig;
        Properties props = new Properties();
        props.putAll(clientConfig);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        this.admin = Admin.create(props);
    }

    String bootstrap() {
        return bootstrap;
    }

    Properties clientConfig() {
        Properties copy = new Properties();
        copy.putAll(clientConfig);
        return copy;
    }

    /**
     * Deletes runwatch's topics (and {@code extra}) and creates the input topics anew with {@code partitions}, so
     * that a section starts from empty topics and a fresh application reads only what the section produces.
     */
    void resetTopics(int partitions, List<String> extra) throws Exception {
        List<String> names = new ArrayList<>(Topics.ALL);
        names.addAll(extra);
        Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        List<String> doomed = names.stream().filter(existing::contains).toList();
        if (!doomed.isEmpty()) {
            try {
                admin.deleteTopics(doomed).all().get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            // deletion completes asynchronously on the broker; creating too early fails with TopicExists
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (admin.listTopics().names().get(30, TimeUnit.SECONDS).stream().anyMatch(doomed::contains)) {
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("topics " + doomed + " are still there 60 s after deletion");
                }
                Thread.sleep(100);
            }
        }
        List<NewTopic> fresh = new ArrayList<>();
        for (String name : names) {
            fresh.add(new NewTopic(name, partitions, (short) 1));
        }
        createWithRetry(fresh);
    }

    private void createWithRetry(List<NewTopic> topics) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                if (System.nanoTime() > deadline
                        || !(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                    throw e;
                }
                Thread.sleep(200); // a deleted topic of the same name is still being removed
                Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
                topics = topics.stream().filter(t -> !existing.contains(t.name())).toList();
                if (topics.isEmpty()) {
                    return;
                }
            }
        }
    }

    /** A producer batching the way a bulk loader would (256 KiB batches, 20 ms linger). */
    KafkaProducer<byte[], byte[]> bulkProducer() {
        Properties props = producerProps();
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 262_144);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        // one request in flight: on a loaded machine the idempotent producer with five fell into an endless
        // OUT_OF_ORDER_SEQUENCE_NUMBER retry loop (a batch re-sent with sequence 0) until its batches expired
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** A producer with the client defaults except {@code linger.ms}. */
    KafkaProducer<byte[], byte[]> producer(int lingerMs) {
        Properties props = producerProps();
        props.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private Properties producerProps() {
        Properties props = clientConfig();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return props;
    }

    /** Sends {@code records} to runwatch.metrics keyed by run: record i belongs to run {@code i % runs}. */
    void produceRuns(List<byte[]> records, int runs) throws Exception {
        CheckedSends sends = new CheckedSends();
        try (KafkaProducer<byte[], byte[]> producer = bulkProducer()) {
            for (int i = 0; i < records.size(); i++) {
                byte[] key = ContractRecords.runId(Bench.DRAIN_RUN_PREFIX, i % runs)
                        .getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(Topics.METRICS.name(), key, records.get(i)), sends.callback());
            }
            producer.flush();
        }
        sends.check();
    }

    /** Sends, and fails loudly on the first record the broker refused (a lost record would skew every number). */
    static final class CheckedSends {
        private final AtomicReference<Exception> failure = new AtomicReference<>();

        org.apache.kafka.clients.producer.Callback callback() {
            return (metadata, e) -> {
                if (e != null) {
                    failure.compareAndSet(null, e);
                }
            };
        }

        void check() {
            Exception e = failure.get();
            if (e != null) {
                throw new IllegalStateException("the broker refused a benchmark record", e);
            }
        }
    }

    /** Records in {@code topic} (sum of the partitions' end offsets; the bench's producers are not transactional). */
    long endOffset(String topic) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
                .get(topic).partitions().size();
        for (int p = 0; p < partitions; p++) {
            request.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        long sum = 0;
        for (var info : admin.listOffsets(request).all().get(30, TimeUnit.SECONDS).values()) {
            sum += info.offset();
        }
        return sum;
    }

    /** Sum of {@code group}'s committed offsets on {@code topic}: how many of its records the group has processed. */
    long committed(String group, String topic) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        long sum = 0;
        for (var entry : offsets.entrySet()) {
            if (entry.getKey().topic().equals(topic) && entry.getValue() != null) {
                sum += entry.getValue().offset();
            }
        }
        return sum;
    }

    /**
     * How {@code group} has spread {@code topic}'s partitions over its instances: partitions per instance (a Kafka
     * Streams instance's consumers share the client id prefix before {@code -StreamThread-}), or empty while the
     * group is not stable or has not {@code members} members.
     */
    Map<String, Integer> partitionsPerInstance(String group, String topic, int members) throws Exception {
        ConsumerGroupDescription description;
        try {
            description = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
                    .get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return Map.of(); // no member has joined yet
            }
            throw e;
        }
        if (description.groupState() != GroupState.STABLE || description.members().size() != members) {
            return Map.of();
        }
        Map<String, Integer> perInstance = new TreeMap<>();
        for (MemberDescription member : description.members()) {
            String clientId = member.clientId();
            int thread = clientId.indexOf("-StreamThread-");
            String instance = thread < 0 ? clientId : clientId.substring(0, thread);
            long owned = member.assignment().topicPartitions().stream().filter(tp -> tp.topic().equals(topic))
                    .count();
            perInstance.merge(instance, (int) owned, Integer::sum);
        }
        return perInstance;
    }

    /** Deletes the topics whose names start with {@code prefix} (an application's changelogs), without waiting. */
    void deleteTopicsStartingWith(String prefix) throws Exception {
        List<String> doomed = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                .filter(name -> name.startsWith(prefix)).toList();
        if (!doomed.isEmpty()) {
            admin.deleteTopics(doomed);
        }
    }

    /** One observation of a group's progress. */
    record Progress(long nanos, long committed) {
    }

    /**
     * Polls {@code group}'s committed offset on {@code topic} every {@code every} until it reaches {@code target},
     * and returns every observation (the first one at the call). Throws when no progress is made for {@code stuck}.
     */
    List<Progress> awaitCommitted(String group, String topic, long target, Duration every, Duration stuck)
            throws Exception {
        List<Progress> seen = new ArrayList<>();
        long lastChange = System.nanoTime();
        long last = -1;
        while (true) {
            long now = System.nanoTime();
            long committed = committed(group, topic);
            seen.add(new Progress(now, committed));
            if (committed >= target) {
                return seen;
            }
            if (committed != last) {
                last = committed;
                lastChange = now;
            } else if (now - lastChange > stuck.toNanos()) {
                throw new TimeoutException(group + " made no progress on " + topic + " for " + stuck.toSeconds()
                        + " s (at " + committed + " of " + target + ")");
            }
            Thread.sleep(every.toMillis());
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(10));
    }
}
