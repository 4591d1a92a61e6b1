package io.runwatch.app;

import com.sun.net.httpserver.HttpHandler;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.runwatch.config.Settings;
import io.runwatch.core.liveness.LivenessMonitor;
import io.runwatch.health.HealthJudge;
import io.runwatch.health.HealthReport;
import io.runwatch.metrics.MetricsServer;
import io.runwatch.metrics.RunwatchMetrics;
import io.runwatch.metrics.RunwatchRegistry;
import io.runwatch.metrics.WebConfig;
import io.runwatch.query.QueryEndpoints;
import io.runwatch.query.QueryService;
import io.runwatch.topology.ErrorHandlers;
import io.runwatch.topology.RunwatchTopology;
import io.runwatch.topology.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitor as a running service: serves /metrics, /healthz and /readyz at once, then (on a background thread,
 * retried until it works, so a wrong password or an unreachable cluster shows as a non-ready /readyz with one clear
 * log line instead of a crash or a hang) creates missing topics and runs the topology with exactly-once
 * processing; exports per-partition consumer lag and the health checks, and stops cleanly.
 */
public final class RunwatchApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunwatchApp.class);
    static final long PROBE_INTERVAL_MS = 2_000;
    static final long START_RETRY_MS = 10_000;

    /** Where and how to run. */
    public record Options(String bootstrapServers, Properties kafkaConfig, Path stateDir, String httpHost,
                         int httpPort, WebConfig web) {
        public Options(String bootstrapServers, Properties kafkaConfig, Path stateDir, String httpHost, int httpPort) {
            this(bootstrapServers, kafkaConfig, stateDir, httpHost, httpPort, WebConfig.none());
        }
    }

    private final Topology topology;
    private final Properties streamsProps;
    /** Created once the cluster accepted us (topics exist): before that its clients would only repeat the error. */
    private volatile KafkaStreams streams;
    private final MetricsServer http;
    private final QueryEndpoints queries;
    private final RunwatchMetrics metrics;
    private final HealthJudge judge;
    private final KafkaHealthProbe probe;
    private final ScheduledExecutorService background;
    private final Object lifecycle = new Object();
    private boolean closed;
    /** Set by {@link #pause()} before Streams exists: applied when it is created. */
    private boolean paused;

    private RunwatchApp(Settings settings, Options options) throws IOException {
        PrometheusMeterRegistry registry = new RunwatchRegistry(); // renders per-run series directly on /metrics
        metrics = new RunwatchMetrics(registry, settings.longValue(Settings.ALERT_MIN_VISIBLE_S) * 1000,
                settings.integer(Settings.METRICS_RUN_MAX_GROUPS));
        judge = new HealthJudge(settings.health(), System.currentTimeMillis());
        StreamsBuilder builder = new StreamsBuilder();
        RunwatchTopology.build(builder, settings, metrics, RunwatchTopology.Mode.LIVE);
        Properties props = streamsProperties(settings, options);
        ErrorHandlers.install(props, settings, metrics);
        topology = builder.build(props);
        streamsProps = props;
        QueryService queryService = new QueryService(() -> streams, new LivenessMonitor(settings.liveness()),
                settings.string(Settings.STREAMS_APPLICATION_SERVER), options.web().peerSslContext(),
                Duration.ofMillis(settings.longValue(Settings.QUERY_FORWARD_TIMEOUT_MS)),
                settings.integer(Settings.QUERY_RETRY_AFTER_S));
        queries = new QueryEndpoints(queryService);
        Map<String, HttpHandler> routes = new LinkedHashMap<>();
        for (String path : QueryEndpoints.PATHS) {
            routes.put(path, queries);
        }
        http = new MetricsServer(options.httpHost(), options.httpPort(), registry, this::health, options.web(),
                routes);
        probe = new KafkaHealthProbe(options.bootstrapServers(), options.kafkaConfig(),
                settings.string(Settings.APPLICATION_ID), judge, metrics, () -> streams);
        background = Executors.newScheduledThreadPool(3, r -> {
            Thread t = new Thread(r, "runwatch-background");
            t.setDaemon(true);
            return t;
        });
        background.scheduleAtFixedRate(() -> {
            health();
            metrics.expireHeldAlerts(System.currentTimeMillis());
        }, 1, 1, TimeUnit.SECONDS);
        background.scheduleWithFixedDelay(probe::probe, 0, PROBE_INTERVAL_MS, TimeUnit.MILLISECONDS);
        background.execute(() -> startKafkaSide(settings, options));
    }

    public static RunwatchApp start(Settings settings, Options options) throws IOException {
        RunwatchApp app = new RunwatchApp(settings, options);
        LOG.info("runwatch starting: Kafka {}, metrics on http{}://{}:{}/metrics", options.bootstrapServers(),
                options.web().tls() ? "s" : "", options.httpHost(), app.http.port());
        return app;
    }

    /** Creates the topics and starts Streams; on failure logs one line and tries again later (a hot fix heals). */
    private void startKafkaSide(Settings settings, Options options) {
        String lastFailure = null;
        while (!Thread.currentThread().isInterrupted()) {
            try {
                createTopics(settings, options);
                synchronized (lifecycle) {
                    if (!closed) {
                        streams = newStreams();
                        if (paused) {
                            streams.pause();
                        }
                        streams.start();
                    }
                }
                return;
            } catch (RuntimeException e) {
                String failure = KafkaHealthProbe.describe(e.getCause() != null ? e.getCause() : e);
                if (!failure.equals(lastFailure)) {
                    LOG.error("cannot start on Kafka at {}: {}; /readyz reports not ready, retrying every {} s",
                            options.bootstrapServers(), failure, START_RETRY_MS / 1000);
                    lastFailure = failure;
                }
                judge.brokerProbe(failure, System.currentTimeMillis());
            }
            try {
                Thread.sleep(START_RETRY_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private KafkaStreams newStreams() {
        KafkaStreams created = new KafkaStreams(topology, streamsProps);
        created.setStateListener((now, before) -> {
            LOG.info("Kafka Streams state {} -> {}", before, now);
            metrics.streamsRunning(isHealthy(now));
            // The health loop reads the new state within a second; asking Streams for its threads from inside its
            // own state change would risk a lock cycle.
        });
        // A failing thread is replaced rather than taking the monitor down; the error is logged loudly and
        // counted, so that a thread dying again and again (a death loop) makes /readyz fail.
        created.setUncaughtExceptionHandler(e -> {
            LOG.error("stream thread failed; replacing it", e);
            judge.threadReplaced(System.currentTimeMillis());
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        return created;
    }

    /** Brings the judge up to date with Streams and the punctuator, evaluates, and exports every check. */
    HealthReport health() {
        observeStreams();
        HealthReport report = judge.evaluate(System.currentTimeMillis());
        report.liveness().forEach(c -> metrics.healthCheck(c.name(), c.ok()));
        report.readiness().forEach(c -> metrics.healthCheck(c.name(), c.ok()));
        return report;
    }

    private void observeStreams() {
        int alive = 0;
        boolean activeTasks = false;
        KafkaStreams current = streams;
        KafkaStreams.State state = current == null ? KafkaStreams.State.CREATED : current.state();
        if (state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING) {
            try {
                for (ThreadMetadata thread : current.metadataForLocalThreads()) {
                    alive++;
                    activeTasks |= !thread.activeTasks().isEmpty();
                }
            } catch (RuntimeException e) {
                // changed state meanwhile: counted at the next call
            }
        }
        if (metrics.lastPunctuationMs() >= 0) {
            judge.punctuated(metrics.lastPunctuationMs());
        }
        judge.streams(state, alive, activeTasks, System.currentTimeMillis());
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
        props.putAll(ScaleOutProperties.of(settings));
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

    public KafkaStreams.State state() {
        KafkaStreams current = streams;
        return current == null ? KafkaStreams.State.CREATED : current.state();
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
            if (state() == KafkaStreams.State.RUNNING) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    /**
     * Holds record processing (Kafka Streams' {@code pause}); the instance still joins its group and takes its
     * partitions. The scale-out benchmark starts every instance paused so that the partitions are spread over all
     * of them before the first record is read.
     */
    public void pause() {
        synchronized (lifecycle) {
            paused = true;
            if (streams != null) {
                streams.pause();
            }
        }
    }

    /** Undoes {@link #pause()}. */
    public void resume() {
        synchronized (lifecycle) {
            paused = false;
            if (streams != null) {
                streams.resume();
            }
        }
    }

    /** Every check now, as /readyz reports it. */
    public HealthReport healthReport() {
        return health();
    }

    @Override
    public void close() {
        synchronized (lifecycle) {
            closed = true;
        }
        background.shutdownNow();
        // Leave the group: a restarted or replaced instance gets the partitions at once, not after the session timeout.
        KafkaStreams current;
        synchronized (lifecycle) {
            current = streams;
        }
        if (current != null) {
            current.close(CloseOptions.timeout(Duration.ofSeconds(30))
                    .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        }
        probe.close();
        http.close();
        queries.close();
    }

    static Path defaultStateDir(Path dataDir) throws IOException {
        return Files.createDirectories(dataDir.resolve("streams-state"));
    }
}
