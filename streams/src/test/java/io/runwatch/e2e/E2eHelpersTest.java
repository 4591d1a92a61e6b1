package io.runwatch.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The end-to-end helpers' own logic, without starting Prometheus or Alertmanager. */
class E2eHelpersTest {

    @Test
    void aMissingBinaryNamesItsDebianPackage() {
        assertThatThrownBy(() -> Binaries.require("runwatch-no-such-binary", "prometheus-alertmanager"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'runwatch-no-such-binary' is not on the PATH")
                .hasMessageContaining("Debian package 'prometheus-alertmanager'")
                .hasMessageContaining("apt-get install");
    }

    @Test
    void prometheusConfigScrapesTheTargetAsJobRunwatchEverySecondAndLoadsTheRules() {
        String yaml = PrometheusProcess.config(Path.of("/repo/alerts/rules"), "127.0.0.1:9464",
                "http://127.0.0.1:9093/am");
        assertThat(yaml).contains("scrape_interval: 1s", "evaluation_interval: 1s", "job_name: runwatch",
                "targets: ['127.0.0.1:9464']", "- '/repo/alerts/rules/*.yml'", "targets: ['127.0.0.1:9093']",
                "path_prefix: '/am'");
        assertThat(PrometheusProcess.config(Path.of("/r"), "h:1", null)).doesNotContain("alerting:");
    }

    @Test
    void theShippedAlertmanagerConfigIsPointedAtTheReceiverAndNothingElseChanges(@TempDir Path dir)
            throws IOException {
        Path shipped = RepoRoot.alerts().resolve("alertmanager.yml");
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            Path copy = AlertmanagerConfig.pointedAt(shipped, receiver, dir);
            String text = Files.readString(copy);
            assertThat(text).doesNotContain(AlertmanagerConfig.WEBHOOK_BASE, AlertmanagerConfig.PAGERDUTY_BASE,
                            AlertmanagerConfig.PAGERDUTY_KEY_FILE)
                    .contains(receiver.baseUrl() + "/pager", receiver.baseUrl() + "/ticket",
                            receiver.baseUrl() + "/pagerduty/v2/enqueue");
            assertThat(Files.readString(dir.resolve("pagerduty-routing-key")))
                    .isEqualTo(AlertmanagerConfig.TEST_ROUTING_KEY);
            assertThat(text.lines().count()).isEqualTo(Files.readString(shipped).lines().count());
        }
    }

    @Test
    void aReplacementThatNoLongerMatchesTheShippedFileFailsLoudly(@TempDir Path dir) {
        Path shipped = RepoRoot.alerts().resolve("alertmanager.yml");
        assertThatThrownBy(() -> AlertmanagerConfig.rewritten(shipped, Map.of("http://nowhere.invalid", "x"),
                dir.resolve("am.yml")))
                .hasMessageContaining("no longer contains 'http://nowhere.invalid'");
    }
}
