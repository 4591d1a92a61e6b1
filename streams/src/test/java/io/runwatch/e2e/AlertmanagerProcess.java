package io.runwatch.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.contract.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Alertmanager on 127.0.0.1 for end-to-end tests: no clustering, temporary storage, the given config
 * (usually {@link AlertmanagerConfig#pointedAt} of {@code alerts/alertmanager.yml}). Close it to stop the process
 * (by its PID) and delete its storage.
 */
public final class AlertmanagerProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final ManagedProcess process;
    private final URI baseUrl;

    private AlertmanagerProcess(ManagedProcess process, URI baseUrl) {
        this.process = process;
        this.baseUrl = baseUrl;
    }

    public static AlertmanagerProcess start(Path config) {
        Path binary = Binaries.alertmanager();
        Path workDir = ManagedProcess.tempDir("runwatch-alertmanager-");
        int port = FreePort.next();
        ManagedProcess process = ManagedProcess.start("alertmanager", List.of(
                binary.toString(),
                "--config.file=" + config.toAbsolutePath(),
                "--storage.path=" + workDir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--cluster.listen-address="), workDir);
        URI baseUrl = URI.create("http://127.0.0.1:" + port);
        try {
            process.awaitHttpOk(baseUrl.resolve("/-/ready"), Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            process.close();
            throw e;
        }
        return new AlertmanagerProcess(process, baseUrl);
    }

    /** Base URL to give Prometheus, e.g. {@code http://127.0.0.1:40123}. */
    public String url() {
        return baseUrl.toString();
    }

    public long pid() {
        return process.pid();
    }

    /**
     * Alerts Alertmanager holds, from {@code /api/v2/alerts}, including silenced and inhibited ones. Each has
     * {@code labels}, {@code annotations} and {@code status} ({@code state}: active/suppressed, {@code inhibitedBy}).
     */
    public List<JsonNode> alerts() {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(baseUrl.resolve("/api/v2/alerts"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            List<JsonNode> alerts = new ArrayList<>();
            Json.MAPPER.readTree(response.body()).forEach(alerts::add);
            return alerts;
        } catch (IOException e) {
            throw new UncheckedIOException("GET /api/v2/alerts failed\n" + process.logTail(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The alert named {@code alertname} for {@code run}, or null while Alertmanager has not received it. */
    public JsonNode alert(String alertname, String run) {
        return alerts().stream()
                .filter(a -> alertname.equals(a.path("labels").path("alertname").asText())
                        && run.equals(a.path("labels").path("run").asText()))
                .findFirst().orElse(null);
    }

    public String logTail() {
        return process.logTail();
    }

    @Override
    public void close() {
        process.close();
    }
}
