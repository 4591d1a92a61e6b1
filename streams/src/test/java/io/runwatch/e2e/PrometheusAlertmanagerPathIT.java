package io.runwatch.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alerting path without the app: a fake runwatch {@code /metrics} → real Prometheus with {@code alerts/rules}
 * → real Alertmanager with {@code alerts/alertmanager.yml} (receivers pointed here) → webhook receiver.
 * Checks that a divergence page arrives with its run, rollback step and runbook link, on the webhook and as a
 * PagerDuty event, and that the same run's loss-spike ticket is inhibited while another run's is delivered.
 */
class PrometheusAlertmanagerPathIT {
    private static final Duration DELIVERY = Duration.ofSeconds(60);

    @Test
    void divergencePageReachesThePagerAndInhibitsTheSameRunsSpikeTicket(@TempDir Path dir) {
        try (FakeRunwatchMetricsEndpoint runwatch = FakeRunwatchMetricsEndpoint.serving(
                     RunwatchMetricsFixtures.DIVERGENCE_PAGE_WITH_SPIKE_TICKET);
             AlertingStack stack = AlertingStack.start(runwatch.target(), dir)) {
            WebhookReceiver receiver = stack.receiver();
            AlertmanagerProcess alertmanager = stack.alertmanager();
            long startNanos = System.nanoTime();

            WebhookReceiver.ReceivedAlert page = receiver.awaitAlert("/pager",
                    a -> "TrainingDivergence".equals(a.label("alertname")) && "firing".equals(a.status()), DELIVERY);
            System.out.printf("divergence page reached the webhook %.1f s after Prometheus started%n",
                    (System.nanoTime() - startNanos) / 1e9);
            assertThat(page.receiver()).isEqualTo("pager");
            assertThat(page.labels()).containsEntry("run", "r1").containsEntry("type", "divergence")
                    .containsEntry("severity", "critical").containsEntry("component", "training")
                    .containsEntry("job", "runwatch");
            assertThat(page.annotations().get("runbook_url")).isEqualTo("alerts/runbook.md#trainingdivergence");
            assertThat(page.annotations().get("description")).contains("Run r1").contains("Roll back to step 4000");

            JsonNode pagerDuty = receiver.awaitNotification("/pagerduty/v2/enqueue", DELIVERY).body();
            assertThat(pagerDuty.path("routing_key").asText()).isEqualTo(AlertmanagerConfig.TEST_ROUTING_KEY);
            assertThat(pagerDuty.path("event_action").asText()).isEqualTo("trigger");
            assertThat(pagerDuty.path("payload").path("summary").asText())
                    .contains("TrainingDivergence").contains("r1");

            // The r1 ticket reached Alertmanager and is held back by the page, not merely late.
            JsonNode r1Ticket = alertmanager.awaitAlert("TrainingLossSpike", "r1", DELIVERY);
            assertThat(r1Ticket.path("status").path("state").asText()).isEqualTo("suppressed");
            assertThat(r1Ticket.path("status").path("inhibitedBy")).isNotEmpty();

            // r2's ticket is flushed after the ticket route's group_wait; r1's group flushes at the same time.
            WebhookReceiver.ReceivedAlert control = receiver.awaitAlert("/ticket",
                    a -> "TrainingLossSpike".equals(a.label("alertname")) && "r2".equals(a.label("run")), DELIVERY);
            assertThat(control.labels()).containsEntry("severity", "warning");
            ManagedProcess.sleep(3000);
            assertThat(receiver.alerts("/ticket")).noneMatch(a -> "r1".equals(a.label("run")));
            assertThat(receiver.alerts("/pager")).allMatch(a -> "TrainingDivergence".equals(a.label("alertname")));

            // Benchmarks that fell together: r3's co-drop ticket arrives and holds back its arc_easy ticket;
            // r2's boolq ticket arrives with the labels that route and silence one benchmark.
            WebhookReceiver.ReceivedAlert coDrop = receiver.awaitAlert("/ticket",
                    a -> "TrainingEvalCoDrop".equals(a.label("alertname")) && "r3".equals(a.label("run")), DELIVERY);
            assertThat(coDrop.annotations().get("description")).contains("The last checkpoint before the fall is step 350");
            JsonNode r3Regression = alertmanager.awaitAlert("TrainingEvalRegression", "r3", DELIVERY);
            for (int i = 0; i < 50 && !"suppressed".equals(r3Regression.path("status").path("state").asText()); i++) {
                ManagedProcess.sleep(200); // both rules fire at one evaluation; the inhibition applies once both are in
                r3Regression = alertmanager.awaitAlert("TrainingEvalRegression", "r3", DELIVERY);
            }
            assertThat(r3Regression.path("status").path("state").asText()).isEqualTo("suppressed");
            assertThat(r3Regression.path("labels").path("benchmark").asText()).isEqualTo("arc_easy");
            WebhookReceiver.ReceivedAlert boolq = receiver.awaitAlert("/ticket",
                    a -> "TrainingEvalRegression".equals(a.label("alertname")) && "r2".equals(a.label("run")), DELIVERY);
            assertThat(boolq.labels()).containsEntry("benchmark", "boolq").containsEntry("group", "reading");
            assertThat(receiver.alerts("/ticket")).noneMatch(a -> "TrainingEvalRegression".equals(a.label("alertname"))
                    && "r3".equals(a.label("run")));
        }
    }
}
