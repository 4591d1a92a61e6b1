package io.runwatch.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

/**
 * How the benchmark starts runwatch and learns its Streams configuration. The application shell supplies it, so
 * the benchmark runs the monitor exactly as {@code runwatch run} does (same topology, same Streams and producer
 * settings), and this package does not depend on the shell.
 */
public interface MonitorLauncher {
    /** Starts runwatch as {@code run} wires it, under a fresh application id and state directory. */
    Monitor start(String applicationId, Path stateDir) throws IOException;

    /**
     * The Streams properties runwatch would run with under {@code applicationId}: the identity app takes them
     * unchanged (exactly-once, commit interval, producer batching, threads), so the ratio compares like with like.
     */
    Properties streamsProperties(String applicationId, Path stateDir);

    /**
     * The command line of a separate instance JVM for the scale-out section (see {@link InstanceProcess}): the
     * same class path, settings and Kafka client configuration as this process, any files it needs under
     * {@code workDir}.
     */
    List<String> instanceCommand(Path workDir) throws IOException;

    /** A running monitor. */
    interface Monitor extends AutoCloseable {
        int httpPort();

        boolean awaitRunning(Duration timeout) throws InterruptedException;

        @Override
        void close();
    }
}
