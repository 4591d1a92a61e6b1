package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.config.Settings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

/**
 * The real thing for integration tests: an in-process KRaft broker and the runwatch application on it, started
 * RUNNING, with its /metrics one call away. Restartable on the same state directory, like a redeploy.
 */
final class MonitorUnderTest implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final Path dir;
    private final Settings settings;
    private final Properties kafkaConfig;
    private final EmbeddedKafka broker;
    private RunwatchApp app;

    private MonitorUnderTest(Path dir, Settings settings, Properties kafkaConfig) throws Exception {
        this.dir = dir;
        this.settings = settings;
        this.kafkaConfig = kafkaConfig;
        this.broker = EmbeddedKafka.start(dir.resolve("kafka"));
        this.app = startApp();
    }

    static MonitorUnderTest start(Path dir, Settings settings) throws Exception {
        return new MonitorUnderTest(dir, settings, new Properties());
    }

    /** With extra Kafka client settings, as {@code --kafka-config} gives them. */
    static MonitorUnderTest start(Path dir, Settings settings, Properties kafkaConfig) throws Exception {
        return new MonitorUnderTest(dir, settings, kafkaConfig);
    }

    private RunwatchApp startApp() throws IOException, InterruptedException {
        RunwatchApp started = RunwatchApp.start(settings, new RunwatchApp.Options(broker.bootstrapServers(),
                kafkaConfig, dir.resolve("state"), "127.0.0.1", 0));
        assertThat(started.awaitRunning(Duration.ofSeconds(60))).as("Streams reaches RUNNING").isTrue();
        return started;
    }

    /** Stops the application cleanly and starts it again on the same state: the stores come back. */
    void restartApp() throws IOException, InterruptedException {
        app.close();
        app = startApp();
    }

    String bootstrapServers() {
        return broker.bootstrapServers();
    }

    RunwatchApp app() {
        return app;
    }

    /** GET a path of the application's HTTP endpoint (/metrics, /healthz). */
    String get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @Override
    public void close() {
        try {
            if (app != null) {
                app.close();
            }
        } finally {
            broker.close();
        }
    }
}
