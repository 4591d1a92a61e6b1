package io.runwatch.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.config.Settings;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertState;
import io.runwatch.core.AlertType;
import io.runwatch.core.Severity;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunwatchTopologyTest {
    @TempDir
    Path stateDir;
    private TopologyFixture fixture;

    private TopologyFixture start() {
        fixture = new TopologyFixture(Settings.defaults(), RunwatchTopology.Mode.LIVE, stateDir);
        return fixture;
    }

    @AfterEach
    void close() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static String step(String run, long step, String loss) {
        return "{\"run\":\"" + run + "\",\"step\":" + step + ",\"loss\":" + loss + ",\"grad_norm\":1.0}";
    }

    @Test
    void aNaNLossPagesOncePerEpisodeWithARollbackTargetAndARunbookLink() {
        TopologyFixture f = start();
        f.event("r1", "{\"run\":\"r1\",\"type\":\"checkpoint\",\"step\":100}", 1);
        for (int s = 95; s <= 110; s++) {
            f.metric("r1", step("r1", s, s < 105 ? "2.5" : "NaN"), 1_000L * s);
        }
        List<Alert> alerts = f.alerts();
        assertThat(alerts).hasSize(1);
        Alert page = alerts.get(0);
        assertThat(page.type()).isEqualTo(AlertType.nonfinite);
        assertThat(page.severity()).isEqualTo(Severity.page);
        assertThat(page.state()).isEqualTo(AlertState.firing);
        assertThat(page.step()).isEqualTo(105);
        assertThat(page.rollbackToStep()).isEqualTo(100);
        assertThat(page.runbook()).isEqualTo("alerts/runbook.md#nonfinite");
        assertThat(f.scrape()).contains(
                "runwatch_alert_active{run=\"r1\",severity=\"page\",type=\"nonfinite\"} 1",
                "runwatch_alert_rollback_to_step{run=\"r1\",type=\"nonfinite\"} 100",
                "runwatch_alerts_total{severity=\"page\",type=\"nonfinite\"} 1.0");

        f.metric("r1", step("r1", 111, "2.4"), 111_000);
        Alert resolved = f.alerts().get(0);
        assertThat(resolved.id()).isEqualTo(page.id());
        assertThat(resolved.state()).isEqualTo(AlertState.resolved);
        assertThat(f.scrape()).doesNotContain("runwatch_alert_active{").doesNotContain(
                "runwatch_alert_rollback_to_step{");
    }

    @Test
    void badRecordsGoToTheDeadLetterTopicWithTheirReasonWhileGoodOnesFlow() {
        TopologyFixture f = start();
        f.metric("r1", "{\"run\":\"r1\",\"step\":1,\"loss\":2", 1);
        f.metric("r1", "{\"run\":\"r1\",\"step\":\"two\",\"loss\":2}", 2);
        f.metric("r1", "{\"step\":3,\"loss\":2}", 3);
        f.eval("p", "{\"run\":\"p\",\"step\":3}", 4);
        f.event("r1", "{\"run\":\"r1\",\"type\":\"explode\"}", 5);
        f.metric("r1", step("r1", 4, "NaN"), 6);

        List<DeadLetter> dead = f.deadLetters();
        assertThat(dead).extracting(DeadLetter::reason).containsExactly(
                "malformed_json", "wrong_type", "missing_field", "missing_field", "invalid_value");
        assertThat(dead).extracting(DeadLetter::topic).containsExactly(
                "runwatch.metrics", "runwatch.metrics", "runwatch.metrics", "runwatch.evals", "runwatch.events");
        DeadLetter first = dead.get(0);
        assertThat(first.offset()).isEqualTo(0);
        assertThat(new String(Base64.getDecoder().decode(first.originalBase64()), StandardCharsets.UTF_8))
                .isEqualTo("{\"run\":\"r1\",\"step\":1,\"loss\":2");
        assertThat(f.alerts()).extracting(Alert::type).containsExactly(AlertType.nonfinite);
        String scrape = f.scrape();
        assertThat(scrape).contains(
                "runwatch_records_rejected_total{reason=\"malformed_json\",topic=\"runwatch.metrics\"} 1.0",
                "runwatch_records_rejected_total{reason=\"missing_field\",topic=\"runwatch.evals\"} 1.0",
                "runwatch_records_total{topic=\"runwatch.metrics\"} 4.0");
    }

    @Test
    void recordsWithoutTheRunAsKeyAreRekeyedAndStillDetected() {
        TopologyFixture f = start();
        f.metric(null, step("r2", 1, "2.0"), 1);
        f.metric("wrong-key", step("r2", 2, "Infinity"), 2);
        List<Alert> alerts = f.alerts();
        assertThat(alerts).hasSize(1);
        assertThat(alerts.get(0).run()).isEqualTo("r2");
        assertThat(alerts.get(0).step()).isEqualTo(2);
        assertThat(alerts.get(0).rollbackToStep()).isEqualTo(1);
    }

    @Test
    void exportsTheRunsGauges() {
        TopologyFixture f = start();
        f.metric("r3", "{\"run\":\"r3\",\"step\":42,\"loss\":2.75,\"grad_norm\":0.5,\"lr\":0.001,"
                + "\"tokens_per_s\":12345,\"groups\":{\"embed\":{\"grad_norm\":0.02,\"update_rms_over_lr\":0.3}}}",
                1_700_000_000_000L);
        assertThat(f.scrape()).contains(
                "runwatch_run_step{run=\"r3\"} 42",
                "runwatch_run_loss{run=\"r3\"} 2.75",
                "runwatch_run_grad_norm{run=\"r3\"} 0.5",
                "runwatch_run_lr{run=\"r3\"} 0.001",
                "runwatch_run_tokens_per_second{run=\"r3\"} 12345",
                "runwatch_run_last_seen_timestamp_seconds{run=\"r3\"} 1.7E9",
                "runwatch_group_grad_norm{group=\"embed\",run=\"r3\"} 0.02",
                "runwatch_group_update_rms_over_lr{group=\"embed\",run=\"r3\"} 0.3");
    }

    @Test
    void anEndedRunsSeriesAreRemovedAfterTheRetention() {
        Settings settings = Settings.defaults().with(Settings.RUN_RETENTION_S, 60);
        fixture = new TopologyFixture(settings, RunwatchTopology.Mode.LIVE, stateDir);
        long now = 0;
        fixture.metric("r4", step("r4", 1, "2.0"), now);
        fixture.event("r4", "{\"run\":\"r4\",\"type\":\"end\",\"step\":1,\"status\":\"completed\"}", now);
        fixture.advanceWallClock(java.time.Duration.ofSeconds(30));
        assertThat(fixture.scrape()).contains("runwatch_run_step{run=\"r4\"}");
        fixture.advanceWallClock(java.time.Duration.ofSeconds(40));
        assertThat(fixture.scrape()).doesNotContain("run=\"r4\"");
    }

    @Test
    void evaluationSeriesExpireOnTheirOwnClockAndASilentRunsSeriesAreRemovedOnce() {
        Settings settings = Settings.defaults().with(Settings.RUN_RETENTION_S, 60);
        fixture = new TopologyFixture(settings, RunwatchTopology.Mode.LIVE, stateDir);
        fixture.eval("p", "{\"run\":\"p\",\"step\":1000,\"benchmark\":\"arc_easy\",\"value\":0.4,\"n\":2376}", 0);
        fixture.metric("q", step("q", 1, "2.0"), 0);
        assertThat(fixture.scrape()).contains("runwatch_eval_score{benchmark=\"arc_easy\",metric=\"acc\",run=\"p\"} 0.4",
                "runwatch_run_step{run=\"q\"} 1");
        fixture.advanceWallClock(java.time.Duration.ofSeconds(65));
        String scrape = fixture.scrape();
        assertThat(scrape).doesNotContain("run=\"p\"").doesNotContain("runwatch_run_step{run=\"q\"}");
        // The silent run's gauges are not re-created by later ticks.
        fixture.advanceWallClock(java.time.Duration.ofSeconds(10));
        assertThat(fixture.scrape()).doesNotContain("runwatch_run_goodput_ratio{run=\"q\"}");
        // It comes back: series again.
        fixture.metric("q", step("q", 2, "2.0"), 75_000);
        assertThat(fixture.scrape()).contains("runwatch_run_step{run=\"q\"} 2");
    }

    @Test
    void theStateOfAnEndedRunAndTheAlertBookOfAQuietRunAreDropped() {
        Settings settings = Settings.defaults().with(Settings.RUN_RETENTION_S, 60).with(Settings.STATE_RETENTION_S, 120);
        fixture = new TopologyFixture(settings, RunwatchTopology.Mode.LIVE, stateDir);
        long now = 0;
        fixture.metric("r6", step("r6", 1, "NaN"), now);
        fixture.metric("r6", step("r6", 2, "2.0"), now);
        fixture.event("r6", "{\"run\":\"r6\",\"type\":\"end\",\"step\":2}", now);
        assertThat(fixture.alerts()).hasSize(2);
        assertThat(fixture.store(AlertLifecycleProcessor.STORE).get("r6")).isNotNull();
        fixture.advanceWallClock(java.time.Duration.ofSeconds(70));
        assertThat(fixture.store(TrainingProcessor.TRAINING_STORE).get("r6")).isNull();
        assertThat(fixture.store(AlertLifecycleProcessor.STORE).get("r6")).isNotNull();
        fixture.advanceWallClock(java.time.Duration.ofSeconds(60));
        assertThat(fixture.store(AlertLifecycleProcessor.STORE).get("r6")).isNull();
    }
}
