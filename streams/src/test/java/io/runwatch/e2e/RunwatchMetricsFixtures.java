package io.runwatch.e2e;

/**
 * TEST FIXTURES, not runwatch output: hand-written Prometheus texts in the shape {@code RunwatchMetrics}
 * documents, for {@link FakeRunwatchMetricsEndpoint}. The lead's end-to-end test scrapes the real app instead.
 */
public final class RunwatchMetricsFixtures {
    private RunwatchMetricsFixtures() {
    }

    /**
     * Run r1 diverged (a page, rollback target step 4000) while its loss-spike ticket is still open, which the
     * divergence must inhibit; run r2 has a loss-spike ticket of its own, which must reach the ticket receiver
     * (the control that shows tickets do get through). Run r3's benchmarks fell together: its co-drop ticket must
     * arrive and inhibit its arc_easy regression ticket, while r2's boolq regression arrives with its benchmark and
     * group labels.
     */
    public static final String DIVERGENCE_PAGE_WITH_SPIKE_TICKET = """
            # TYPE runwatch_alert_active gauge
            runwatch_alert_active{run="r1",type="divergence",severity="page"} 1
            runwatch_alert_active{run="r1",type="loss_spike",severity="ticket"} 1
            runwatch_alert_active{run="r2",type="loss_spike",severity="ticket"} 1
            runwatch_alert_active{run="r2",type="eval_regression",severity="ticket"} 1
            runwatch_alert_active{run="r3",type="eval_co_drop",severity="ticket"} 1
            runwatch_alert_active{run="r3",type="eval_regression",severity="ticket"} 1
            # TYPE runwatch_alert_benchmark_active gauge
            runwatch_alert_benchmark_active{run="r2",type="eval_regression",severity="ticket",benchmark="boolq",group="reading"} 1
            runwatch_alert_benchmark_active{run="r3",type="eval_regression",severity="ticket",benchmark="arc_easy",group="knowledge"} 1
            # TYPE runwatch_alert_rollback_to_step gauge
            runwatch_alert_rollback_to_step{run="r1",type="divergence"} 4000
            runwatch_alert_rollback_to_step{run="r1",type="loss_spike"} 4000
            runwatch_alert_rollback_to_step{run="r2",type="loss_spike"} 1200
            runwatch_alert_rollback_to_step{run="r3",type="eval_co_drop"} 350
            # TYPE runwatch_streams_running gauge
            runwatch_streams_running 1
            # TYPE runwatch_consumer_lag_records gauge
            runwatch_consumer_lag_records 0
            """;

    /**
     * Every series of {@code RunwatchMetrics}' Javadoc for run r1 (with parameter groups, two benchmarks and
     * capabilities) and for the monitor, so that every dashboard query has something to return. Counters grow
     * with {@code tick} so that rates over consecutive scrapes are non-zero.
     */
    public static String everySeries(long tick) {
        long nowSeconds = System.currentTimeMillis() / 1000;
        long step = 5000 + tick;
        return """
                # TYPE runwatch_records_total counter
                runwatch_records_total{topic="runwatch.metrics"} %d
                runwatch_records_total{topic="runwatch.events"} %d
                runwatch_records_total{topic="runwatch.evals"} %d
                # TYPE runwatch_records_rejected_total counter
                runwatch_records_rejected_total{topic="runwatch.metrics",reason="unparseable"} %d
                # TYPE runwatch_alerts_total counter
                runwatch_alerts_total{type="loss_spike",severity="ticket"} %d
                runwatch_alerts_total{type="divergence",severity="page"} 1
                # TYPE runwatch_alert_active gauge
                runwatch_alert_active{run="r1",type="divergence",severity="page"} 1
                runwatch_alert_active{run="r1",type="adam_precursor",severity="ticket"} 1
                runwatch_alert_active{run="r2",type="eval_noisy",severity="info"} 1
                # TYPE runwatch_alert_benchmark_active gauge
                runwatch_alert_benchmark_active{run="r2",type="eval_noisy",severity="info",benchmark="boolq",group="reading"} 1
                # TYPE runwatch_alert_rollback_to_step gauge
                runwatch_alert_rollback_to_step{run="r1",type="divergence"} 4000
                runwatch_alert_rollback_to_step{run="r1",type="adam_precursor"} 4000
                # TYPE runwatch_run_step gauge
                runwatch_run_step{run="r1"} %d
                runwatch_run_step{run="r2"} 1200
                # TYPE runwatch_run_loss gauge
                runwatch_run_loss{run="r1"} 2.31
                # TYPE runwatch_run_grad_norm gauge
                runwatch_run_grad_norm{run="r1"} 0.42
                # TYPE runwatch_run_lr gauge
                runwatch_run_lr{run="r1"} 3.0E-4
                # TYPE runwatch_run_tokens_per_second gauge
                runwatch_run_tokens_per_second{run="r1"} 812000.0
                # TYPE runwatch_run_last_seen_timestamp_seconds gauge
                runwatch_run_last_seen_timestamp_seconds{run="r1"} %d
                runwatch_run_last_seen_timestamp_seconds{run="r2"} %d
                # TYPE runwatch_group_grad_norm gauge
                runwatch_group_grad_norm{run="r1",group="embedding"} 1.2E-6
                runwatch_group_grad_norm{run="r1",group="attention"} 0.21
                # TYPE runwatch_group_update_rms_over_lr gauge
                runwatch_group_update_rms_over_lr{run="r1",group="embedding"} 0.93
                runwatch_group_update_rms_over_lr{run="r1",group="attention"} 0.12
                # TYPE runwatch_loss_spikes_total counter
                runwatch_loss_spikes_total{run="r1"} 3
                # TYPE runwatch_run_loss_scale gauge
                runwatch_run_loss_scale{run="r1"} 32768.0
                # TYPE runwatch_run_skipped_step_fraction gauge
                runwatch_run_skipped_step_fraction{run="r1"} 0.01
                # TYPE runwatch_run_skipped_steps_total counter
                runwatch_run_skipped_steps_total{run="r1"} 7
                # TYPE runwatch_run_loss_spike_rate gauge
                runwatch_run_loss_spike_rate{run="r1"} 0.6
                # TYPE runwatch_eval_score gauge
                runwatch_eval_score{run="r1",benchmark="hellaswag",metric="acc"} 0.52
                runwatch_eval_score{run="r1",benchmark="arc_easy",metric="acc"} 0.61
                # TYPE runwatch_eval_noise gauge
                runwatch_eval_noise{run="r1",benchmark="hellaswag",metric="acc"} 0.011
                runwatch_eval_noise{run="r1",benchmark="arc_easy",metric="acc"} 0.018
                # TYPE runwatch_eval_regression_z gauge
                runwatch_eval_regression_z{run="r1",benchmark="hellaswag",metric="acc"} 0.4
                runwatch_eval_regression_z{run="r1",benchmark="arc_easy",metric="acc"} 1.9
                # TYPE runwatch_eval_kendall_tau gauge
                runwatch_eval_kendall_tau{run="r1",benchmark="hellaswag",metric="acc",window="all"} 0.83
                runwatch_eval_kendall_tau{run="r1",benchmark="hellaswag",metric="acc",window="10"} 0.61
                # TYPE runwatch_eval_capability_score gauge
                runwatch_eval_capability_score{run="r1",capability="commonsense"} 0.57
                runwatch_eval_capability_score{run="r1",capability="science"} 0.44
                # TYPE runwatch_eval_weakest_capability gauge
                runwatch_eval_weakest_capability{run="r1",capability="science"} 0.44
                # TYPE runwatch_run_goodput_ratio gauge
                runwatch_run_goodput_ratio{run="r1"} 0.93
                # TYPE runwatch_run_lost_steps_total counter
                runwatch_run_lost_steps_total{run="r1"} 120
                # TYPE runwatch_last_processed_timestamp_seconds gauge
                runwatch_last_processed_timestamp_seconds %d
                # TYPE runwatch_processing_delay_seconds summary
                runwatch_processing_delay_seconds{quantile="0.5"} 0.04
                runwatch_processing_delay_seconds{quantile="0.99"} 0.3
                runwatch_processing_delay_seconds_count %d
                runwatch_processing_delay_seconds_sum %d
                # TYPE runwatch_consumer_lag_records gauge
                runwatch_consumer_lag_records 12
                # TYPE runwatch_streams_running gauge
                runwatch_streams_running 1
                """.formatted(1000 + 10 * tick, 20 + tick, 5 + tick, 1 + tick, 2 + tick, step, nowSeconds,
                nowSeconds - 30, nowSeconds, 1000 + 10 * tick, 40 + tick);
    }
}
