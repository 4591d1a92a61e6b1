package io.runwatch.app;

import io.runwatch.health.HealthJudge;
import io.runwatch.metrics.RunwatchMetrics;
import io.runwatch.topology.Topics;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;

/**
 * What only the cluster can tell, asked from a background thread with short timeouts so that an unreachable
 * broker delays nothing else: whether the cluster answers ({@code describeCluster}), and for the input partitions
 * this instance owns, the group's committed offsets against the partitions' ends (read_committed). That feeds
 * the health judge (broker reachable, stuck partitions) and the per-partition lag gauges, which therefore exist
 * for owned partitions only.
 */
final class KafkaHealthProbe implements AutoCloseable {
    static final long TIMEOUT_MS = 3_000;

    private final Admin admin;
    private final String groupId;
    private final HealthJudge judge;
    private final RunwatchMetrics metrics;
    private final Supplier<KafkaStreams> streams;

    KafkaHealthProbe(String bootstrapServers, Properties kafkaConfig, String groupId, HealthJudge judge,
                     RunwatchMetrics metrics, Supplier<KafkaStreams> streams) {
        Properties props = new Properties();
        props.putAll(kafkaConfig);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, groupId + "-health");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT_MS);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT_MS);
        this.admin = Admin.create(props);
        this.groupId = groupId;
        this.judge = judge;
        this.metrics = metrics;
        this.streams = streams;
    }

    /** One probe; never throws (a failure is what it reports). */
    void probe() {
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) TIMEOUT_MS)).clusterId()
                    .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            judge.brokerProbe(null, System.currentTimeMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            judge.brokerProbe(describe(e), System.currentTimeMillis());
            return;
        }
        try {
            positions();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            // Positions are best effort: the next probe tries again; the broker check already passed.
        }
    }

    /** Committed offsets and ends of the owned input partitions → stuck-partition check and lag gauges. */
    private void positions() throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, OffsetSpec> owned = new HashMap<>();
        for (TopicPartition partition : ownedInputPartitions(streams.get())) {
            owned.put(partition, OffsetSpec.latest());
        }
        Map<String, HealthJudge.PartitionPosition> positions = new TreeMap<>();
        Map<String, Map<Integer, Long>> lag = new TreeMap<>();
        if (!owned.isEmpty()) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId)
                    .partitionsToOffsetAndMetadata().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(owned,
                    new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            // Ownership may have changed while we asked: keep only partitions still owned.
            var stillOwned = ownedInputPartitions(streams.get());
            for (TopicPartition partition : owned.keySet()) {
                if (!stillOwned.contains(partition) || !ends.containsKey(partition)) {
                    continue;
                }
                OffsetAndMetadata commit = committed.get(partition);
                var position = new HealthJudge.PartitionPosition(commit == null ? -1 : commit.offset(),
                        ends.get(partition).offset());
                positions.put(partition.toString(), position);
                lag.computeIfAbsent(partition.topic(), t -> new TreeMap<>()).put(partition.partition(),
                        position.lag());
            }
        }
        judge.partitions(positions, System.currentTimeMillis());
        metrics.consumerLag(lag);
    }

    /** Input partitions of the active tasks of this instance's live stream threads (none when not running). */
    static java.util.Set<TopicPartition> ownedInputPartitions(KafkaStreams streams) {
        java.util.Set<TopicPartition> owned = new java.util.HashSet<>();
        if (streams == null) {
            return owned;
        }
        try {
            for (ThreadMetadata thread : streams.metadataForLocalThreads()) {
                for (TaskMetadata task : thread.activeTasks()) {
                    for (TopicPartition partition : task.topicPartitions()) {
                        if (Topics.INPUTS.contains(partition.topic())) {
                            owned.add(partition);
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            // Not started or shutting down: it owns nothing.
        }
        return owned;
    }

    static String describe(Throwable e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        String message = cause.getMessage() == null ? "" : ": " + cause.getMessage().lines().findFirst().orElse("");
        return cause.getClass().getSimpleName() + message;
    }

    @Override
    public void close() {
        admin.close(java.time.Duration.ofSeconds(2));
    }
}
