package io.runwatch.app;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * A real single-node KRaft broker (broker + controller) running inside this JVM from Kafka's own jars, bound
 * to 127.0.0.1 only. It is the default when no {@code --bootstrap-servers} is given, for trying runwatch out,
 * and what the *IT tests use; production joins a real cluster.
 * Its data survives a restart when the same data directory is reused.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private final KafkaRaftServer server;
    private final String bootstrapServers;

    private EmbeddedKafka(KafkaRaftServer server, String bootstrapServers) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * Starts a broker with its log under {@code dataDir} (formatted on first use) on free loopback ports. It is
     * for trying runwatch out and for tests: one node, no replication, no security.
     */
    public static EmbeddedKafka start(Path dataDir) {
        try {
            int brokerPort = freePort();
            int controllerPort = freePort();
            return start(serverProperties(dataDir, brokerPort, controllerPort), dataDir,
                    "127.0.0.1:" + brokerPort, List.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts a broker from {@code props}, formatting its log first (with {@code formatArgs}) when new. */
    static EmbeddedKafka start(Properties props, Path dataDir, String bootstrapServers, List<String> formatArgs) {
        try {
            Files.createDirectories(dataDir);
            if (!Files.exists(Path.of(props.getProperty("log.dirs")).resolve("meta.properties"))) {
                format(props, dataDir, formatArgs);
            }
            KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            server.startup();
            return new EmbeddedKafka(server, bootstrapServers);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A single-node KRaft broker + controller on 127.0.0.1 with its log under {@code dataDir/kraft-log}. */
    static Properties serverProperties(Path dataDir, int brokerPort, int controllerPort) {
        Path logDir = dataDir.resolve("kraft-log");
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("log.dirs", logDir.toString());
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "1");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "1");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        // The 128 MiB default dedupe buffer is allocated up front; compacted topics here are small.
        props.put("log.cleaner.dedupe.buffer.size", "4194304");
        props.put("auto.create.topics.enable", "false");
        return props;
    }

    /** Formats the log directory (StorageTool.execute: main would exit the JVM); writes server.properties. */
    static Path format(Properties props, Path dataDir, List<String> extraArgs) throws IOException {
        Files.createDirectories(dataDir);
        Path config = dataDir.resolve("server.properties");
        try (var out = Files.newOutputStream(config)) {
            props.store(out, "runwatch embedded broker");
        }
        List<String> args = new ArrayList<>(List.of("format", "-t", Uuid.randomUuid().toString(), "-c",
                config.toString()));
        args.addAll(extraArgs);
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int code = StorageTool.execute(args.toArray(new String[0]), new PrintStream(buffer, true,
                StandardCharsets.UTF_8));
        if (code != 0) {
            throw new IllegalStateException("formatting the embedded broker's log failed: "
                    + buffer.toString(StandardCharsets.UTF_8));
        }
        return config;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }
}
