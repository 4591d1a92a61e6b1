package io.runwatch.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.runwatch.core.MetricPoint;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Series a partition move must take away, lag of owned partitions only, and label values no input can break. */
class RunwatchMetricsOwnershipTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final RunwatchMetrics metrics = new RunwatchMetrics(registry, 30_000);

    @Test
    void releasingARunRemovesItsSeriesUnlessANewerOwnerClaimedIt() {
        Object oldTask = new Object();
        Object newTask = new Object();
        metrics.claimRun("training", "r", oldTask);
        metrics.claimRun("alerts", "r", oldTask);
        metrics.trainingStep(MetricPoint.ofLoss("r", 10, 2_000, 2.5));
        metrics.alertActive("r", "nonfinite", "page", 1, 0);
        metrics.alertActive("r", "run_rewound", "info", 1, 0);
        metrics.alertActive("r", "run_rewound", "info", 0, 0); // closed, held for the minimum visible time
        assertThat(metrics.releaseRun("alerts", "r", oldTask)).isTrue();
        assertThat(registry.scrape()).doesNotContain("runwatch_alert_active{run=\"r\"");
        metrics.expireHeldAlerts(60_000); // a held removal of a released series must not throw or resurrect
        // The task moved to another thread of this instance: the new one claimed first, the old close is late.
        metrics.claimRun("training", "r", newTask);
        assertThat(metrics.releaseRun("training", "r", oldTask)).isFalse();
        assertThat(registry.scrape()).contains("runwatch_run_step{run=\"r\"} 10.0");
        assertThat(metrics.releaseRun("training", "r", newTask)).isTrue();
        assertThat(registry.scrape()).doesNotContain("run=\"r\"");
    }

    @Test
    void lagSeriesExistForOwnedPartitionsOnly() {
        metrics.consumerLag(Map.of("runwatch.metrics", Map.of(0, 3L, 1, 0L)));
        assertThat(registry.scrape()).contains(
                "runwatch_consumer_lag_records{partition=\"0\",topic=\"runwatch.metrics\"} 3.0",
                "runwatch_consumer_lag_records{partition=\"1\",topic=\"runwatch.metrics\"} 0.0");
        metrics.consumerLag(Map.of("runwatch.metrics", Map.of(1, 7L)));
        assertThat(registry.scrape()).doesNotContain("partition=\"0\"")
                .contains("runwatch_consumer_lag_records{partition=\"1\",topic=\"runwatch.metrics\"} 7.0");
        metrics.consumerLag(Map.of());
        assertThat(registry.scrape()).as("no assignment: absent, not 0").doesNotContain("runwatch_consumer_lag_records{");
    }

    /** A sample line of the text format: name{label="value",...} number, values escaped as the format says. */
    private static final Pattern SAMPLE = Pattern.compile(
            "[a-zA-Z_:][a-zA-Z0-9_:]*(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\\p{Cntrl}]|\\\\[\\\\\"n])*\",?)*})? "
                    + "[-+0-9.eEnaNIf]+");

    @Test
    void hostileRunIdsCannotBreakTheExpositionFormat() {
        List<String> hostile = List.of("nul\0byte", "new\nline", "carriage\rreturn", "quote\"d", "back\\slash",
                "tab\there", "lone\uD800surrogate", "\uDC00low first", "del\u007F", "c1\u0085next", "emoji \uD83D\uDE80 ok",
                "} 1\nfake_metric 2", "ünïcödé");
        for (String run : hostile) {
            metrics.trainingStep(MetricPoint.ofLoss(run, 1, 1_000, 2.0));
            metrics.lossSpikes(run, 1, 0.5);
            metrics.alertActive(run, "nonfinite", "page", 1, 0);
        }
        String scrape = registry.scrape();
        for (String line : scrape.lines().toList()) {
            if (!line.startsWith("#")) {
                assertThat(line).as("sample line").matches(SAMPLE);
            }
        }
        assertThat(scrape.lines()).as("an injected sample line").noneMatch(l -> l.startsWith("fake_metric"));
        assertThat(scrape).doesNotContain("\0")
                .contains("runwatch_run_step{run=\"nul\uFFFDbyte\"} 1.0",
                        "runwatch_run_step{run=\"lone\uFFFDsurrogate\"} 1.0",
                        "runwatch_run_step{run=\"quote\\\"d\"} 1.0",
                        "runwatch_run_step{run=\"back\\\\slash\"} 1.0",
                        "runwatch_run_step{run=\"emoji \uD83D\uDE80 ok\"} 1.0",
                        "runwatch_run_step{run=\"ünïcödé\"} 1.0");
        // Removal finds the sanitized series again.
        for (String run : hostile) {
            metrics.removeRun(run);
            metrics.removeRunAlerts(run);
        }
        assertThat(registry.scrape()).doesNotContain("run=");
        assertThat(RunwatchMetrics.labelValue(RunwatchMetrics.labelValue("a\0b"))).isEqualTo("a\uFFFDb");
    }
}
