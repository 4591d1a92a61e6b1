package io.runwatch.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every PromQL expression of the Grafana dashboards, run against a real Prometheus scraping a fake runwatch that
 * serves every documented series: each must parse and return data. The lead's end-to-end test runs the same
 * check against the real app.
 */
class DashboardQueriesIT {

    @Test
    void everyDashboardQueryParsesAndReturnsSeries() {
        List<DashboardQueries.Query> queries = DashboardQueries.all(RepoRoot.grafana());
        try (FakeRunwatchMetricsEndpoint runwatch = FakeRunwatchMetricsEndpoint.serving(
                     RunwatchMetricsFixtures::everySeries);
             PrometheusProcess prometheus = PrometheusProcess.start(RepoRoot.alerts().resolve("rules"),
                     runwatch.target(), null)) {
            prometheus.awaitTargetUp(Duration.ofSeconds(30));
            // rate() and deriv() need two samples inside their window.
            while (runwatch.scrapes() < 3) {
                ManagedProcess.sleep(200);
            }
            List<DashboardQueries.Outcome> outcomes = DashboardQueries.runAll(prometheus, queries,
                    DashboardQueries.variables("r1", "10s"));
            outcomes.forEach(System.out::println);
            assertThat(outcomes).hasSameSizeAs(queries);
            assertThat(outcomes).filteredOn(DashboardQueries.Outcome::failed).isEmpty();
            assertThat(outcomes).filteredOn(o -> o.series() == 0).isEmpty();
            // The rules loaded too (a broken rule file would only show in Prometheus's log).
            assertThat(prometheus.ruleGroups()).hasSize(4);
        }
    }
}
