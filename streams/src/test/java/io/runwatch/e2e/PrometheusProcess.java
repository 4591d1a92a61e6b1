package io.runwatch.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Prometheus on 127.0.0.1 for end-to-end tests: scrapes one target every second as {@code job="runwatch"},
 * evaluates the rules in a directory every second, and sends alerts to one Alertmanager. Start it with
 * {@link #start}; close it to stop the process (by its PID) and delete its temporary storage.
 */
public final class PrometheusProcess implements AutoCloseable {
    private final ManagedProcess process;
    private final URI baseUrl;

    private PrometheusProcess(ManagedProcess process, URI baseUrl) {
        this.process = process;
        this.baseUrl = baseUrl;
    }

    /**
     * @param rulesDir         directory of rule files ({@code *.yml}), e.g. {@code RepoRoot.alerts().resolve("rules")}
     * @param scrapeTarget     {@code host:port} serving {@code /metrics}
     * @param alertmanagerUrl  e.g. {@code http://127.0.0.1:9093}, or null to evaluate rules without sending alerts
     */
    public static PrometheusProcess start(Path rulesDir, String scrapeTarget, String alertmanagerUrl) {
        return start(rulesDir, scrapeTarget, alertmanagerUrl, "");
    }

    /**
     * As {@link #start(Path, String, String)}, with {@code scrapeOptions} added to the runwatch job: YAML lines
     * indented by four spaces, e.g. {@code scheme: https}, {@code tls_config}, {@code basic_auth}.
     */
    public static PrometheusProcess start(Path rulesDir, String scrapeTarget, String alertmanagerUrl,
                                          String scrapeOptions) {
        Path binary = Binaries.prometheus();
        Path workDir = ManagedProcess.tempDir("runwatch-prometheus-");
        int port = FreePort.next();
        Path config = workDir.resolve("prometheus.yml");
        write(config, config(rulesDir.toAbsolutePath(), scrapeTarget, alertmanagerUrl)
                .replace("  - job_name: runwatch\n", "  - job_name: runwatch\n" + scrapeOptions));
        URI baseUrl = URI.create("http://127.0.0.1:" + port);
        ManagedProcess process = ManagedProcess.startReady("prometheus", List.of(
                binary.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + workDir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port), workDir, baseUrl.resolve("/-/ready"));
        return new PrometheusProcess(process, baseUrl);
    }

    static String config(Path rulesDir, String scrapeTarget, String alertmanagerUrl) {
        StringBuilder yaml = new StringBuilder()
                .append("global:\n")
                .append("  scrape_interval: 1s\n")
                .append("  scrape_timeout: 1s\n")
                .append("  evaluation_interval: 1s\n")
                .append("rule_files:\n")
                .append("  - '").append(rulesDir.resolve("*.yml")).append("'\n")
                .append("scrape_configs:\n")
                .append("  - job_name: runwatch\n")
                .append("    static_configs:\n")
                .append("      - targets: ['").append(scrapeTarget).append("']\n");
        if (alertmanagerUrl != null) {
            URI am = URI.create(alertmanagerUrl);
            yaml.append("alerting:\n")
                    .append("  alertmanagers:\n")
                    .append("    - scheme: ").append(am.getScheme()).append('\n')
                    .append("      api_version: v2\n");
            if (am.getPath() != null && !am.getPath().isEmpty() && !am.getPath().equals("/")) {
                yaml.append("      path_prefix: '").append(am.getPath()).append("'\n");
            }
            yaml.append("      static_configs:\n")
                    .append("        - targets: ['").append(am.getHost()).append(':').append(am.getPort())
                    .append("']\n");
        }
        return yaml.toString();
    }

    public URI baseUrl() {
        return baseUrl;
    }

    public long pid() {
        return process.pid();
    }

    /**
     * Runs an instant query through the HTTP API and returns its {@code data} ({@code resultType}, {@code result}).
     *
     * @throws PromQlException when Prometheus rejects the query (bad syntax, unknown function...)
     */
    public JsonNode query(String promql) {
        JsonNode body = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        if (!"success".equals(body.path("status").asText())) {
            throw new PromQlException(promql, body.path("errorType").asText() + ": " + body.path("error").asText());
        }
        return body.path("data");
    }

    /** The series an instant query returns (empty for a scalar or string result). */
    public List<JsonNode> querySeries(String promql) {
        JsonNode data = query(promql);
        List<JsonNode> series = new ArrayList<>();
        if ("vector".equals(data.path("resultType").asText()) || "matrix".equals(data.path("resultType").asText())) {
            data.path("result").forEach(series::add);
        }
        return series;
    }

    /** Alerts as Prometheus sees them (pending and firing), from {@code /api/v1/alerts}. */
    public List<JsonNode> alerts() {
        List<JsonNode> alerts = new ArrayList<>();
        get("/api/v1/alerts").path("data").path("alerts").forEach(alerts::add);
        return alerts;
    }

    /** Rule groups as loaded, from {@code /api/v1/rules} (empty if the rule files did not load). */
    public List<JsonNode> ruleGroups() {
        List<JsonNode> groups = new ArrayList<>();
        get("/api/v1/rules").path("data").path("groups").forEach(groups::add);
        return groups;
    }

    /** Waits until the scrape target is up, i.e. {@code up{job="runwatch"} == 1}. */
    public void awaitTargetUp(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!querySeries("up{job=\"runwatch\"} == 1").isEmpty()) {
                return;
            }
            ManagedProcess.sleep(200);
        }
        throw new IllegalStateException("Prometheus never scraped its runwatch target successfully within "
                + timeout + "; targets: " + get("/api/v1/targets").path("data").path("activeTargets"));
    }

    public String logTail() {
        return process.logTail();
    }

    @Override
    public void close() {
        process.close();
    }

    private JsonNode get(String pathAndQuery) {
        return process.getJson(baseUrl.resolve(pathAndQuery));
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Prometheus refused a query; the message names the query and Prometheus's error. */
    public static final class PromQlException extends RuntimeException {
        public PromQlException(String promql, String error) {
            super(error + " in: " + promql);
        }
    }
}
