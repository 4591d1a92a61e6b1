package io.runwatch.app;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

/**
 * A real single-node KRaft broker in a separate JVM ({@code kafka.Kafka server.properties}, Kafka's own jars from
 * this test's class path), so a test can kill it and start it again on the same ports and log.
 */
final class BrokerProcess implements AutoCloseable {
    private final Path dataDir;
    private final Path config;
    private final int brokerPort;
    private Process process;

    private BrokerProcess(Path dataDir, Path config, int brokerPort) {
        this.dataDir = dataDir;
        this.config = config;
        this.brokerPort = brokerPort;
    }

    static BrokerProcess start(Path dataDir) throws IOException, InterruptedException {
        int brokerPort = EmbeddedKafka.freePort();
        Properties props = EmbeddedKafka.serverProperties(dataDir, brokerPort, EmbeddedKafka.freePort());
        Path config = EmbeddedKafka.format(props, dataDir, List.of());
        BrokerProcess broker = new BrokerProcess(dataDir, config, brokerPort);
        broker.restart();
        return broker;
    }

    String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    /** Starts the broker JVM (again) and waits until its port accepts connections. */
    void restart() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        process = new ProcessBuilder(List.of(java.toString(), "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                "kafka.Kafka", config.toString()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve("broker.log").toFile()))
                .start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("broker exited: " + tail());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", brokerPort), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("broker did not listen within 60 s: " + tail());
    }

    /** Kills the broker JVM at once (SIGKILL), as a crash or a lost machine would. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    private String tail() throws IOException {
        List<String> lines = Files.readAllLines(dataDir.resolve("broker.log"));
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            kill();
        }
    }
}
