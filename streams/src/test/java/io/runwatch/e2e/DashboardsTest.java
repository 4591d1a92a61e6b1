package io.runwatch.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.contract.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboards without Grafana: fixed uids, a datasource variable instead of hard-coded uids, the
 * panels the on-call needs, and PromQL that only uses exported metrics and resolves every variable.
 * {@code DashboardQueriesIT} runs the same queries against a real Prometheus.
 */
class DashboardsTest {
    private static final Path GRAFANA = RepoRoot.grafana();

    @Test
    void dashboardsHaveFixedUidsTagsRefreshAndADatasourceVariable() throws IOException {
        for (String file : List.of("training-run.json", "runwatch-fleet.json")) {
            JsonNode dashboard = dashboard(file);
            assertThat(dashboard.path("uid").asText()).as(file).isIn("runwatch-training-run", "runwatch-fleet");
            assertThat(dashboard.path("tags").toString()).as(file).contains("\"runwatch\"");
            assertThat(dashboard.path("refresh").asText()).as(file).isNotEmpty();
            assertThat(variables(dashboard)).as(file).anyMatch(v -> "datasource".equals(v.path("type").asText()));
        }
    }

    @Test
    void everyDatasourceReferenceGoesThroughTheVariable() throws IOException {
        for (String file : List.of("training-run.json", "runwatch-fleet.json")) {
            List<JsonNode> references = new ArrayList<>();
            collect(dashboard(file), "datasource", references);
            assertThat(references).as(file).isNotEmpty();
            for (JsonNode ref : references) {
                if (ref.isObject()) {
                    assertThat(ref.path("uid").asText()).as(file + " " + ref).isIn("${datasource}", "-- Grafana --");
                }
            }
        }
    }

    @Test
    void trainingRunShowsWhatTheOnCallNeeds() throws IOException {
        JsonNode dashboard = dashboard("training-run.json");
        List<String> titles = panelTitles(dashboard);
        assertThat(titles).contains("Loss", "Gradient norm and learning rate", "Gradient norm per parameter group",
                "Update RMS / learning rate per group", "Tokens per second", "Eval: $benchmark",
                "Kendall τ (step vs score)", "Active alerts", "Loss scale and skipped steps");
        assertThat(variables(dashboard)).anyMatch(v -> "run".equals(v.path("name").asText()));

        // Alert regions are drawn on the Loss panel.
        int lossPanelId = panels(dashboard).stream().filter(p -> "Loss".equals(p.path("title").asText())
                && "timeseries".equals(p.path("type").asText())).findFirst().orElseThrow().path("id").asInt();
        List<JsonNode> alertAnnotations = StreamSupport.stream(dashboard.path("annotations").path("list").spliterator(),
                false).filter(a -> a.path("expr").asText().contains("runwatch_alert_active")).toList();
        assertThat(alertAnnotations).isNotEmpty()
                .allMatch(a -> a.path("filter").path("ids").toString().equals("[" + lossPanelId + "]"));

        String activeAlerts = panels(dashboard).stream().filter(p -> "Active alerts".equals(p.path("title").asText()))
                .findFirst().orElseThrow().toString();
        assertThat(activeAlerts).contains("runwatch_alert_rollback_to_step").contains("Roll back to step");
    }

    @Test
    void fleetShowsRunsAlertsThroughputLagAndDeadLetters() throws IOException {
        String fleet = dashboard("runwatch-fleet.json").toString();
        assertThat(fleet).contains("runwatch_alert_active{severity=\\\"page\\\"}", "runwatch_records_total",
                "runwatch_consumer_lag_records", "runwatch_records_rejected_total", "runwatch_run_step",
                "up{job=\\\"runwatch\\\"}");
    }

    @Test
    void everyQueryResolvesAndUsesOnlyExportedMetrics() {
        Set<String> exported = AlertingFiles.metricNames(AlertingFiles.read(RepoRoot.find()
                .resolve("streams/src/main/java/io/runwatch/metrics/RunwatchMetrics.java")));
        List<DashboardQueries.Query> queries = DashboardQueries.all(GRAFANA);
        assertThat(queries).hasSizeGreaterThan(30);
        assertThat(queries).extracting(DashboardQueries.Query::dashboard)
                .contains("runwatch / Training run", "runwatch / Fleet");
        Map<String, String> values = DashboardQueries.variables("r1", "1m");
        for (DashboardQueries.Query query : queries) {
            assertThat(query.resolved(values)).as(query.toString()).doesNotContain("$").doesNotContain("[[");
            assertThat(exported).as(query.toString()).containsAll(AlertingFiles.metricNames(query.expr()));
            if (query.expr().matches(".*\\b(rate|increase|deriv)\\(.*")) {
                assertThat(query.expr()).as("range functions use $__rate_interval: " + query)
                        .contains("[$__rate_interval]");
            }
        }
    }

    @Test
    void variablesAreReplacedInEveryGrafanaSpelling() {
        DashboardQueries.Query query = new DashboardQueries.Query("d", "p", "A",
                "rate(x{run=\"$run\",b=~\"${benchmark}\",c=\"[[run]]\"}[$__rate_interval])");
        assertThat(query.resolved(DashboardQueries.variables("r7", "5s")))
                .isEqualTo("rate(x{run=\"r7\",b=~\".+\",c=\"r7\"}[5s])");
        assertThat(DashboardQueries.variableQueryAsPromQl("label_values(runwatch_eval_score{run=\"$run\"}, benchmark)"))
                .isEqualTo("group by (benchmark) (runwatch_eval_score{run=\"$run\"})");
    }

    private static JsonNode dashboard(String file) throws IOException {
        return Json.MAPPER.readTree(GRAFANA.resolve("dashboards").resolve(file).toFile());
    }

    private static List<JsonNode> variables(JsonNode dashboard) {
        List<JsonNode> list = new ArrayList<>();
        dashboard.path("templating").path("list").forEach(list::add);
        return list;
    }

    private static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> list = new ArrayList<>();
        dashboard.path("panels").forEach(p -> {
            list.add(p);
            p.path("panels").forEach(list::add);
        });
        return list;
    }

    private static List<String> panelTitles(JsonNode dashboard) {
        return panels(dashboard).stream().map(p -> p.path("title").asText()).toList();
    }

    private static void collect(JsonNode node, String field, List<JsonNode> into) {
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> {
                if (e.getKey().equals(field)) {
                    into.add(e.getValue());
                }
                collect(e.getValue(), field, into);
            });
        } else if (node.isArray()) {
            node.forEach(child -> collect(child, field, into));
        }
    }
}
