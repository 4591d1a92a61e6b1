package io.runwatch.app;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * A real single-node KRaft broker (broker + controller) running inside this JVM from Kafka's own jars, bound
 * to 127.0.0.1. It is the default when no {@code --bootstrap-servers} is given, and what the *IT tests use.
 * Its data survives a restart when the same data directory is reused.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private final KafkaRaftServer server;
    private final String bootstrapServers;

    private EmbeddedKafka(KafkaRaftServer server, String bootstrapServers) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
    }

    /** Starts a broker with its log under {@code dataDir} (formatted on first use) on free loopback ports. */
    public static EmbeddedKafka start(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
            int brokerPort = freePort();
            int controllerPort = freePort();
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
            if (!Files.exists(logDir.resolve("meta.properties"))) {
                format(props, dataDir);
            }
            KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            server.startup();
            return new EmbeddedKafka(server, "127.0.0.1:" + brokerPort);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void format(Properties props, Path dataDir) throws IOException {
        Path config = dataDir.resolve("server.properties");
        try (var out = Files.newOutputStream(config)) {
            props.store(out, "runwatch embedded broker");
        }
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int code = StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c",
                config.toString()}, new PrintStream(buffer, true, StandardCharsets.UTF_8));
        if (code != 0) {
            throw new IllegalStateException("formatting the embedded broker's log failed: "
                    + buffer.toString(StandardCharsets.UTF_8));
        }
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
