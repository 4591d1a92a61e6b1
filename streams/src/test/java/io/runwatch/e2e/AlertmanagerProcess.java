package io.runwatch.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Alertmanager on 127.0.0.1 for end-to-end tests: no clustering, temporary storage, the given config
 * (usually {@link AlertmanagerConfig#pointedAt} of {@code alerts/alertmanager.yml}). Close it to stop the process
 * (by its PID) and delete its storage.
 */
public final class AlertmanagerProcess implements AutoCloseable {
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
        URI baseUrl = URI.create("http://127.0.0.1:" + port);
        ManagedProcess process = ManagedProcess.startReady("alertmanager", List.of(
                binary.toString(),
                "--config.file=" + config.toAbsolutePath(),
                "--storage.path=" + workDir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--cluster.listen-address="), workDir, baseUrl.resolve("/-/ready"));
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
        List<JsonNode> alerts = new ArrayList<>();
        process.getJson(baseUrl.resolve("/api/v2/alerts")).forEach(alerts::add);
        return alerts;
    }

    /** The alert named {@code alertname} for {@code run}, or null while Alertmanager has not received it. */
    public JsonNode alert(String alertname, String run) {
        return alerts().stream()
                .filter(a -> alertname.equals(a.path("labels").path("alertname").asText())
                        && run.equals(a.path("labels").path("run").asText()))
                .findFirst().orElse(null);
    }

    /** Waits until Alertmanager holds {@code alertname} for {@code run}; fails with what it holds instead. */
    public JsonNode awaitAlert(String alertname, String run, java.time.Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode alert = alert(alertname, run);
            if (alert != null) {
                return alert;
            }
            ManagedProcess.sleep(200);
        }
        throw new AssertionError(alertname + " for " + run + " never reached Alertmanager; it holds " + alerts());
    }

    public String logTail() {
        return process.logTail();
    }

    @Override
    public void close() {
        process.close();
    }
}
