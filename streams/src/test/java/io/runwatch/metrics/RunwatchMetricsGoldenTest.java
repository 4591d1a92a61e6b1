package io.runwatch.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.GroupStats;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.Severity;
import io.runwatch.core.evals.EvalGauges;
import io.runwatch.core.evals.EvalOutcome;
import io.runwatch.core.liveness.LivenessGauges;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Pins every series name and type that alerts/ and grafana/ depend on. */
class RunwatchMetricsGoldenTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final RunwatchMetrics metrics = new RunwatchMetrics(registry);

    private void touchEverySeries() {
        metrics.recordRead("runwatch.metrics");
        metrics.recordRejected("runwatch.metrics", "malformed_json");
        metrics.processed(1_000, 3_000);
        metrics.consumerLag(Map.of("runwatch.metrics", Map.of(0, 5L)));
        metrics.healthCheck("broker_reachable", true);
        metrics.streamsRunning(true);
        Alert alert = Alert.firing("r", AlertType.divergence, Severity.page, 10).rollbackTo(5L).build();
        metrics.alertFired(alert);
        metrics.alertActive("r", "divergence", "page", 1, 0);
        metrics.alertRollback("r", "divergence", 5L, 0);
        metrics.trainingStep(MetricPoint.ofLoss("r", 10, 2_000, 2.5).withGradNorm(1.0).withLr(1e-3)
                .withThroughput(1e5, 0.5).withGroups(Map.of("embed", new GroupStats(0.1, 0.2, 3.0)))
                .withLossScale(65536.0));
        metrics.lossSpikes("r", 3, 0.5);
        metrics.skippedSteps("r", 4, 0.01);
        metrics.evalOutcome(new EvalOutcome(List.of(), new EvalGauges("r", "arc_easy", "acc", 0.5, 0.01, 0.8, 0.6,
                10, 1.5, 0.01, Double.NaN, 0.004, false), Map.of("knowledge", 0.3, "reasoning", 0.2), "reasoning"));
        metrics.liveness("r", new LivenessGauges(0.95, 300, 240, 12, 0.9, 2));
    }

    @Test
    void exposesExactlyTheDocumentedSeries() {
        touchEverySeries();
        String types = registry.scrape().lines().filter(l -> l.startsWith("# TYPE"))
                .sorted().collect(Collectors.joining("\n"));
        assertThat(types).isEqualTo("""
                # TYPE runwatch_alert_active gauge
                # TYPE runwatch_alert_rollback_to_step gauge
                # TYPE runwatch_alerts_total counter
                # TYPE runwatch_consumer_lag_records gauge
                # TYPE runwatch_eval_capability_score gauge
                # TYPE runwatch_eval_kendall_tau gauge
                # TYPE runwatch_eval_noise gauge
                # TYPE runwatch_eval_noisy gauge
                # TYPE runwatch_eval_regression_z gauge
                # TYPE runwatch_eval_score gauge
                # TYPE runwatch_eval_weakest_capability gauge
                # TYPE runwatch_exported_runs gauge
                # TYPE runwatch_group_grad_norm gauge
                # TYPE runwatch_group_update_rms_over_lr gauge
                # TYPE runwatch_health_check gauge
                # TYPE runwatch_last_processed_timestamp_seconds gauge
                # TYPE runwatch_loss_spikes_total counter
                # TYPE runwatch_processing_delay_seconds summary
                # TYPE runwatch_processing_delay_seconds_max gauge
                # TYPE runwatch_records_rejected_total counter
                # TYPE runwatch_records_total counter
                # TYPE runwatch_run_goodput_ratio gauge
                # TYPE runwatch_run_grad_norm gauge
                # TYPE runwatch_run_last_seen_timestamp_seconds gauge
                # TYPE runwatch_run_loss gauge
                # TYPE runwatch_run_loss_scale gauge
                # TYPE runwatch_run_loss_spike_rate gauge
                # TYPE runwatch_run_lost_steps_total counter
                # TYPE runwatch_run_lr gauge
                # TYPE runwatch_run_restarts_total counter
                # TYPE runwatch_run_silence_seconds gauge
                # TYPE runwatch_run_skipped_step_fraction gauge
                # TYPE runwatch_run_skipped_steps_total counter
                # TYPE runwatch_run_stall_deadline_seconds gauge
                # TYPE runwatch_run_step gauge
                # TYPE runwatch_run_throughput_ratio gauge
                # TYPE runwatch_run_tokens_per_second gauge
                # TYPE runwatch_series_dropped_total counter
                # TYPE runwatch_streams_running gauge""");
        assertThat(registry.scrape()).contains(
                "runwatch_eval_kendall_tau{benchmark=\"arc_easy\",metric=\"acc\",run=\"r\",window=\"all\"} 0.8",
                "runwatch_eval_kendall_tau{benchmark=\"arc_easy\",metric=\"acc\",run=\"r\",window=\"10\"} 0.6",
                "runwatch_eval_weakest_capability{capability=\"reasoning\",run=\"r\"} 0.2",
                "runwatch_run_lost_steps_total{run=\"r\"} 300.0",
                "runwatch_loss_spikes_total{run=\"r\"} 3.0",
                "runwatch_run_skipped_steps_total{run=\"r\"} 4.0",
                "runwatch_run_loss_scale{run=\"r\"} 65536.0",
                "runwatch_run_stall_deadline_seconds{run=\"r\"} 240.0",
                "runwatch_processing_delay_seconds_count 1",
                "runwatch_consumer_lag_records{partition=\"0\",topic=\"runwatch.metrics\"} 5.0",
                "runwatch_health_check{check=\"broker_reachable\"} 1.0",
                "runwatch_exported_runs 1.0",
                "runwatch_series_dropped_total{reason=\"max_groups\"} 0.0");
    }

    @Test
    void groupsBeyondTheCapAreNotExportedButCountedOnce() {
        RunwatchMetrics capped = new RunwatchMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), 0, 2);
        Map<String, GroupStats> groups = Map.of("mlp", new GroupStats(0.5, 0.6, null),
                "attn", new GroupStats(0.3, null, null), "embed", new GroupStats(0.1, 0.2, null));
        for (int step = 1; step <= 3; step++) {
            capped.trainingStep(MetricPoint.ofLoss("r", step, 1_000, 2.0).withGroups(groups));
        }
        String scrape = ((PrometheusMeterRegistry) capped.registry()).scrape();
        // The first two by name keep series (whatever the map's order); mlp's two values are dropped, once.
        assertThat(scrape.lines().filter(l -> l.startsWith("runwatch_group_"))).containsExactlyInAnyOrder(
                "runwatch_group_grad_norm{group=\"attn\",run=\"r\"} 0.3",
                "runwatch_group_grad_norm{group=\"embed\",run=\"r\"} 0.1",
                "runwatch_group_update_rms_over_lr{group=\"embed\",run=\"r\"} 0.2");
        assertThat(scrape).contains("runwatch_series_dropped_total{reason=\"max_groups\"} 2.0");
        // Another run has a cap of its own.
        capped.trainingStep(MetricPoint.ofLoss("s", 1, 1_000, 2.0).withGroups(Map.of("mlp", new GroupStats(1.0, 1.0,
                null))));
        assertThat(((PrometheusMeterRegistry) capped.registry()).scrape())
                .contains("runwatch_group_grad_norm{group=\"mlp\",run=\"s\"} 1.0");
    }

    @Test
    void aNonFiniteValueIsExportedAsItIsAndANewerNullKeepsTheLastValue() {
        metrics.trainingStep(MetricPoint.ofLoss("r", 1, 1_000, Double.NaN).withGradNorm(Double.POSITIVE_INFINITY));
        assertThat(registry.scrape()).contains("runwatch_run_loss{run=\"r\"} NaN",
                "runwatch_run_grad_norm{run=\"r\"} +Inf");
        metrics.trainingStep(MetricPoint.ofLoss("r", 2, 2_000, 2.5));
        assertThat(registry.scrape()).contains("runwatch_run_loss{run=\"r\"} 2.5",
                "runwatch_run_grad_norm{run=\"r\"} +Inf", "runwatch_run_step{run=\"r\"} 2.0");
        // A counter never goes down (a replay of older state), and a NaN rate takes its gauge away.
        metrics.lossSpikes("r", 5, 1.5);
        metrics.lossSpikes("r", 3, Double.NaN);
        assertThat(registry.scrape()).contains("runwatch_loss_spikes_total{run=\"r\"} 5.0")
                .doesNotContain("runwatch_run_loss_spike_rate{run=\"r\"}");
    }

    @Test
    void removingARunRemovesItsSeriesButNotItsOpenAlerts() {
        touchEverySeries();
        metrics.trainingStep(MetricPoint.ofLoss("other", 1, 1, 3.0));
        metrics.removeRun("r");
        metrics.removeRunEvals("r");
        String scrape = registry.scrape();
        assertThat(scrape.lines().filter(l -> l.contains("run=\"r\"")).toList()).containsExactlyInAnyOrder(
                "runwatch_alert_active{run=\"r\",severity=\"page\",type=\"divergence\"} 1.0",
                "runwatch_alert_rollback_to_step{run=\"r\",type=\"divergence\"} 5.0");
        assertThat(scrape).contains("runwatch_run_loss{run=\"other\"} 3.0", "runwatch_records_total");
        // A removed run that reports again gets its series back.
        metrics.trainingStep(MetricPoint.ofLoss("r", 11, 3_000, 2.4));
        assertThat(registry.scrape()).contains("runwatch_run_loss{run=\"r\"} 2.4");
    }

    @Test
    void aClosedEpisodeStaysVisibleForTheMinimumTimeThenGoes() {
        RunwatchMetrics held = new RunwatchMetrics(registry, 30_000);
        held.alertActive("n", "run_rewound", "info", 1, 1_000);
        held.alertActive("n", "run_rewound", "info", 0, 1_000);
        held.expireHeldAlerts(30_999);
        assertThat(registry.scrape()).contains("runwatch_alert_active{run=\"n\",severity=\"info\",type=\"run_rewound\"} 1");
        held.expireHeldAlerts(31_000);
        assertThat(registry.scrape()).doesNotContain("runwatch_alert_active{run=\"n\"");
        // Re-opened while held: the pending removal is cancelled.
        held.alertActive("n", "stall", "page", 1, 40_000);
        held.alertActive("n", "stall", "page", 0, 41_000);
        held.alertActive("n", "stall", "page", 1, 42_000);
        held.expireHeldAlerts(100_000);
        assertThat(registry.scrape()).contains("runwatch_alert_active{run=\"n\",severity=\"page\",type=\"stall\"} 1");
    }

    @Test
    void theWeakestCapabilityGaugeFollowsTheWeakestOne() {
        metrics.evalOutcome(new EvalOutcome(List.of(), new EvalGauges("r", "b", "acc", 0.5, 0, 0, 0, 10, 0, 0, 0, 0, false),
                Map.of("code", 0.1, "knowledge", 0.4), "code"));
        metrics.evalOutcome(new EvalOutcome(List.of(), new EvalGauges("r", "b", "acc", 0.5, 0, 0, 0, 10, 0, 0, 0, 0, false),
                Map.of("code", 0.6, "knowledge", 0.4), "knowledge"));
        assertThat(registry.scrape()).contains("runwatch_eval_weakest_capability{capability=\"knowledge\",run=\"r\"} 0.4")
                .doesNotContain("runwatch_eval_weakest_capability{capability=\"code\"");
    }

    @Test
    void anEvalResultThatWasNotPlacedIsCountedByReason() {
        EvalGauges gauges = new EvalGauges("r", "b", "acc", 0.5, 0, 0, 0, 10, 0, 0, 0, 0, false);
        metrics.evalOutcome(new EvalOutcome(List.of(), gauges, Map.of(), null, EvalOutcome.TOO_LATE));
        metrics.evalOutcome(new EvalOutcome(List.of(), gauges, Map.of(), null, EvalOutcome.TOO_LATE));
        metrics.evalOutcome(new EvalOutcome(List.of(), gauges, Map.of(), null));
        assertThat(registry.scrape()).contains("runwatch_eval_results_unplaced_total{reason=\"too_late\"} 2")
                .doesNotContain("reason=\"not_a_score\"");
    }
}
