package io.runwatch.e2e;

import java.nio.file.Path;

/**
 * The whole alerting path for an end-to-end test, started in order and closed in reverse: a webhook receiver,
 * Alertmanager with the shipped {@code alerts/alertmanager.yml} pointed at it, and Prometheus scraping
 * {@code scrapeTarget} with the shipped {@code alerts/rules}.
 *
 * <pre>
 * try (AlertingStack stack = AlertingStack.start("127.0.0.1:" + metricsPort, tempDir)) {
 *     stack.receiver().awaitAlert("/pager", a -&gt; "TrainingDivergence".equals(a.label("alertname")), timeout);
 * }
 * </pre>
 */
public final class AlertingStack implements AutoCloseable {
    private final WebhookReceiver receiver;
    private final AlertmanagerProcess alertmanager;
    private final PrometheusProcess prometheus;

    private AlertingStack(WebhookReceiver receiver, AlertmanagerProcess alertmanager, PrometheusProcess prometheus) {
        this.receiver = receiver;
        this.alertmanager = alertmanager;
        this.prometheus = prometheus;
    }

    /** @param workDir where the rewritten Alertmanager config and the test routing key are written */
    public static AlertingStack start(String scrapeTarget, Path workDir) {
        Path alerts = RepoRoot.alerts();
        WebhookReceiver receiver = WebhookReceiver.start();
        AlertmanagerProcess alertmanager = null;
        try {
            alertmanager = AlertmanagerProcess.start(
                    AlertmanagerConfig.pointedAt(alerts.resolve("alertmanager.yml"), receiver, workDir));
            PrometheusProcess prometheus = PrometheusProcess.start(alerts.resolve("rules"), scrapeTarget,
                    alertmanager.url());
            return new AlertingStack(receiver, alertmanager, prometheus);
        } catch (RuntimeException e) {
            if (alertmanager != null) {
                alertmanager.close();
            }
            receiver.close();
            throw e;
        }
    }

    public WebhookReceiver receiver() {
        return receiver;
    }

    public AlertmanagerProcess alertmanager() {
        return alertmanager;
    }

    public PrometheusProcess prometheus() {
        return prometheus;
    }

    @Override
    public void close() {
        try {
            prometheus.close();
        } finally {
            try {
                alertmanager.close();
            } finally {
                receiver.close();
            }
        }
    }
}
