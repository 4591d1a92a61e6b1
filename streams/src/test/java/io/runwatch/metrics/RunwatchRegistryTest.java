package io.runwatch.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.runwatch.core.GroupStats;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.liveness.LivenessGauges;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The direct text path of /metrics writes what Prometheus' own writer writes for the same per-run series. */
class RunwatchRegistryTest {
    private static final String OPEN_METRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private static void feed(RunwatchMetrics metrics) {
        List<String> runs = new java.util.ArrayList<>(List.of("plain", "quote\"d", "back\\slash", "new\nline",
                "ünïcödé \uD83D\uDE80", "} 1\nfake 2"));
        double[] awkward = {0.0, -0.0, 1.0, -3.0, 9_999_999.0, 10_000_000.0, 1.8e9, 1.7000000004e9, 6e-4, 2.497,
                Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, -1e-300, 1e300,
                123456.5, (double) Long.MAX_VALUE, -9_999_999.0};
        for (int k = runs.size(); k < awkward.length; k++) {
            runs.add("r" + k);
        }
        for (int k = 0; k < runs.size(); k++) {
            String run = runs.get(k);
            for (int j = 0; j < awkward.length; j++) {
                // the last record leaves each run with other awkward values in every field
                double v = awkward[(j + k) % awkward.length];
                double w = awkward[(j * 7 + k) % awkward.length];
                metrics.trainingRecord(MetricPoint.ofLoss(run, j, 1_700_000_000_123L + j * 1_001L, v).withGradNorm(w)
                        .withLr(v).withThroughput(w, 1.0).withLossScale(v).withGroups(Map.of("embed",
                                new GroupStats(v, w, null), "h\"e\\ad", new GroupStats(null, v, null))),
                        true, j * k, w, 2L * j, v);
            }
            metrics.liveness(run, new LivenessGauges(0.5, 3, 300, 4.25, Double.NaN, 2));
        }
        metrics.trainingStep(MetricPoint.ofLoss("other", 5, 1_000, 1.0));
        metrics.alertActive("plain", "stall", "page", 1, 0);
    }

    private static List<String> lines(String scrape) {
        return scrape.lines().sorted().toList();
    }

    @Test
    void theDirectTextIsWhatPrometheusWritesLineForLine() {
        RunwatchRegistry fast = new RunwatchRegistry();
        PrometheusMeterRegistry general = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        feed(new RunwatchMetrics(fast, 0));
        feed(new RunwatchMetrics(general, 0));
        String direct = fast.scrape();
        assertThat(direct).contains("runwatch_run_step{run=\"plain\"}", "runwatch_run_lr{run=\"plain\"} -9999999.0",
                "runwatch_run_lr{run=\"quote\\\"d\"} 0.0",
                "runwatch_group_update_rms_over_lr{group=\"h\\\"e\\\\ad\",run=\"quote\\\"d\"}",
                "runwatch_alert_active{run=\"plain\"");
        assertThat(lines(direct)).isEqualTo(lines(general.scrape()));
        // Each family once: its HELP/TYPE lines are not repeated and its samples follow them.
        assertThat(direct.lines().filter(l -> l.startsWith("# TYPE runwatch_run_step "))).hasSize(1);
    }

    /** Values of 16-17 digits, tiny, huge, and the doubles around the ends of the text path's own conversion. */
    private static final double[] CHANGED = {0.1 + 0.2, 1.0 / 3, 2.0 / 3 * 1e-5, 1e-8, Math.nextDown(1e-8), 1e15,
        Math.nextDown(1e15), 2e23, 9.6345795763015312E16, 1_765_016_123.456, 1_765_016_123.4567891, -0.0,
        Double.NaN, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, -6.02e-4, 4.35, 1e7 + 0.5};

    @Test
    void valuesThatChangeBetweenScrapesAreWrittenAnew() {
        RunwatchRegistry fast = new RunwatchRegistry();
        PrometheusMeterRegistry general = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        RunwatchMetrics fastMetrics = new RunwatchMetrics(fast, 0);
        RunwatchMetrics generalMetrics = new RunwatchMetrics(general, 0);
        feed(fastMetrics);
        feed(generalMetrics);
        String before = fast.scrape();
        for (int round = 0; round < 3; round++) {
            for (RunwatchMetrics metrics : List.of(fastMetrics, generalMetrics)) {
                for (int k = 0; k < CHANGED.length; k++) {
                    double v = CHANGED[(k + round) % CHANGED.length];
                    double w = CHANGED[(k * 5 + round + 1) % CHANGED.length];
                    // a known run, a run new since the last scrape, and a group new since then
                    for (String run : List.of("plain", "late " + k)) {
                        metrics.trainingRecord(MetricPoint.ofLoss(run, 100 + round, 1_700_000_000_123L + k, v)
                                .withGradNorm(w).withLr(v).withThroughput(w, 1.0).withLossScale(w)
                                .withGroups(Map.of("embed", new GroupStats(w, v, null), "late" + round,
                                        new GroupStats(v, null, null))), true, 100L + round, v, 7L, w);
                        metrics.liveness(run, new LivenessGauges(v, 3, w, v, w, 2));
                    }
                }
            }
            String direct = fast.scrape();
            assertThat(direct).isNotEqualTo(before);
            assertThat(lines(direct)).isEqualTo(lines(general.scrape()));
            before = direct;
        }
        assertThat(before).contains("runwatch_run_loss{run=\"late 0\"}", "runwatch_group_grad_norm{group=\"late2\"");
    }

    @Test
    void everyWayOfScrapingShowsTheSameSeries() throws Exception {
        RunwatchRegistry fast = new RunwatchRegistry();
        feed(new RunwatchMetrics(fast, 0));
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        fast.scrape(stream);
        assertThat(lines(stream.toString(java.nio.charset.StandardCharsets.UTF_8))).isEqualTo(lines(fast.scrape()));
        // OpenMetrics goes through the collector: the same runs, in that format.
        String openMetrics = fast.scrape(OPEN_METRICS);
        assertThat(openMetrics).contains("runwatch_run_step{run=\"plain\"}", "runwatch_group_grad_norm{group=\"embed\"",
                "# EOF");
        assertThat(fast.scrape("text/plain; version=0.0.4; charset=utf-8", java.util.Set.of("runwatch_run_step")))
                .contains("runwatch_run_step{run=\"plain\"}").doesNotContain("runwatch_run_loss{");
    }

    @Test
    void aRemovedRunIsGoneFromBothPaths() {
        RunwatchRegistry fast = new RunwatchRegistry();
        RunwatchMetrics metrics = new RunwatchMetrics(fast, 0);
        feed(metrics);
        metrics.removeRun("plain");
        Consumer<String> check = scrape -> assertThat(scrape.lines().filter(l -> l.contains("run=\"plain\"")))
                .containsExactly("runwatch_alert_active{run=\"plain\",severity=\"page\",type=\"stall\"} 1.0");
        check.accept(fast.scrape());
        check.accept(fast.scrape(OPEN_METRICS));
    }
}
