package io.runwatch.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.core.AlertType;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Ties alerts/ to the code: every runwatch alert type has a Prometheus rule and a runbook section, every rule
 * has promtool tests and a runbook anchor that exists, and every metric the rules use is one runwatch exports.
 * (promtool itself runs in alerts/check.sh.)
 */
class AlertingContractTest {
    private static final Path ALERTS = RepoRoot.alerts();
    private static final List<AlertingFiles.Rule> RULES = AlertingFiles.rules(ALERTS);
    private static final Set<String> RUNBOOK_ANCHORS = AlertingFiles.anchors(ALERTS.resolve("runbook.md"));

    @Test
    void everyAlertTypeHasExactlyOneRuleAndARunbookSection() {
        for (AlertType type : AlertType.values()) {
            List<String> rulesOfType = RULES.stream()
                    .filter(r -> r.expr().contains("type=\"" + type.name() + "\""))
                    .map(AlertingFiles.Rule::name).toList();
            assertThat(rulesOfType).as("rules selecting type=\"%s\"", type).hasSize(1);
            assertThat(RUNBOOK_ANCHORS).as("runbook anchor for %s", type).contains(type.runbookAnchor());
        }
    }

    @Test
    void everyRuleLinksToItsOwnRunbookSection() {
        assertThat(RULES).hasSizeGreaterThanOrEqualTo(AlertType.values().length + 5);
        for (AlertingFiles.Rule rule : RULES) {
            String anchor = rule.name().toLowerCase();
            assertThat(rule.field("runbook_url")).as(rule.name()).isEqualTo("alerts/runbook.md#" + anchor);
            assertThat(RUNBOOK_ANCHORS).as("runbook section for " + rule.name()).contains(anchor);
        }
    }

    @Test
    void everyRuleFollowsTheNamingAndLabelConventions() {
        for (AlertingFiles.Rule rule : RULES) {
            assertThat(rule.name()).as("name").matches("(Training|Runwatch)[A-Z][A-Za-z]+");
            assertThat(rule.field("for")).as(rule.name() + " for").isNotNull();
            assertThat(rule.field("component")).as(rule.name() + " component")
                    .isIn("training", "eval", "liveness", "monitor");
            String severity = rule.field("severity");
            assertThat(severity).as(rule.name() + " severity").isNotNull();
            if (rule.name().startsWith("Training")) {
                // Derived from runwatch's own severity label: page -> critical, ticket -> warning, else info.
                assertThat(severity).contains("eq $labels.severity \"page\" }}critical")
                        .contains("eq $labels.severity \"ticket\" }}warning").contains("{{ else }}info");
                // Alerts about one benchmark keep its labels, for routing and silencing one benchmark.
                String perRun = "max by (job, run, type, severity) (max_over_time(runwatch_alert_active{type=";
                String perBenchmark = "max by (job, run, type, severity, benchmark, group) "
                        + "(max_over_time(runwatch_alert_benchmark_active{type=";
                assertThat(rule.expr().startsWith(perRun) || rule.expr().startsWith(perBenchmark))
                        .as(rule.name() + " expr " + rule.expr()).isTrue();
                assertThat(rule.expr()).endsWith("[2m])) > 0");
            } else {
                assertThat(severity).isIn("critical", "warning", "info");
            }
            assertThat(rule.field("summary")).as(rule.name() + " summary").doesNotContain("{{");
            assertThat(rule.block()).as(rule.name() + " description").contains("description:").contains("$value");
        }
    }

    @Test
    void everyRuleHasABeforeAndAnAfterPromtoolCase() {
        String tests = AlertingFiles.files(ALERTS.resolve("tests"), ".yaml").stream()
                .map(AlertingFiles::read).collect(Collectors.joining("\n"));
        for (AlertingFiles.Rule rule : RULES) {
            Matcher quiet = Pattern.compile("alertname: " + rule.name() + "\\s*\\n\\s*exp_alerts: \\[]").matcher(tests);
            Matcher fires = Pattern.compile("alertname: " + rule.name() + "\\s*\\n\\s*exp_alerts:\\s*\\n\\s*- exp_labels:")
                    .matcher(tests);
            assertThat(quiet.find()).as(rule.name() + " has a case where it must not fire").isTrue();
            assertThat(fires.find()).as(rule.name() + " has a case that asserts its labels").isTrue();
            assertThat(tests).as(rule.name() + " annotations asserted")
                    .contains("runbook_url: alerts/runbook.md#" + rule.name().toLowerCase());
        }
    }

    @Test
    void rulesOnlyUseMetricsRunwatchExports() {
        Set<String> exported = AlertingFiles.metricNames(AlertingFiles.read(RepoRoot.find()
                .resolve("streams/src/main/java/io/runwatch/metrics/RunwatchMetrics.java")));
        for (AlertingFiles.Rule rule : RULES) {
            assertThat(exported).as(rule.name()).containsAll(AlertingFiles.metricNames(rule.block()));
        }
    }

    @Test
    void githubAnchorsAreComputedLikeGitHub() {
        assertThat(AlertingFiles.githubAnchor("loss_spike")).isEqualTo("loss_spike");
        assertThat(AlertingFiles.githubAnchor("TrainingLossSpike")).isEqualTo("traininglossspike");
        assertThat(AlertingFiles.githubAnchor("The monitor itself")).isEqualTo("the-monitor-itself");
        assertThat(Arrays.stream(AlertType.values()).map(AlertType::runbookAnchor))
                .allMatch(a -> a.equals(AlertingFiles.githubAnchor(a)));
    }
}
