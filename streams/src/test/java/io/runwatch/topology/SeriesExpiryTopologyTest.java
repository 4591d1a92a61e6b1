package io.runwatch.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-run series stop being exported: a finished run's after metrics.run.finished.retention.s, an idle run's after
 * metrics.run.idle.retention.s; a run's open alert keeps its alert series whatever happens to the others.
 */
class SeriesExpiryTopologyTest {
    @TempDir
    Path stateDir;
    private TopologyFixture fixture;

    @AfterEach
    void close() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static String step(String run, long step, String loss) {
        return "{\"run\":\"" + run + "\",\"step\":" + step + ",\"loss\":" + loss + ",\"grad_norm\":1.0,"
                + "\"groups\":{\"embed\":{\"grad_norm\":0.1}}}";
    }

    private String seriesOf(String run) {
        return String.join("\n", fixture.scrape().lines().filter(l -> l.contains("run=\"" + run + "\"")).toList());
    }

    @Test
    void finishedRunsGoFirstIdleRunsLaterAndAnOpenAlertStays() {
        fixture = new TopologyFixture(Settings.defaults(), RunwatchTopology.Mode.LIVE, stateDir);
        assertThat(Settings.defaults().longValue(Settings.METRICS_RUN_FINISHED_S)).isEqualTo(300);
        assertThat(Settings.defaults().longValue(Settings.METRICS_RUN_IDLE_S)).isEqualTo(1_800);
        fixture.metric("done", step("done", 1, "2.0"), 0);
        fixture.event("done", "{\"run\":\"done\",\"type\":\"end\",\"step\":1,\"status\":\"completed\"}", 0);
        fixture.metric("quiet", step("quiet", 1, "2.0"), 0);
        fixture.metric("paging", step("paging", 1, "NaN"), 0); // a nonfinite page, never resolved
        assertThat(seriesOf("paging")).contains("runwatch_alert_active{run=\"paging\",severity=\"page\","
                + "type=\"nonfinite\"} 1.0", "runwatch_run_step{run=\"paging\"} 1.0");

        fixture.advanceWallClock(Duration.ofSeconds(290));
        assertThat(seriesOf("done")).contains("runwatch_run_step{run=\"done\"}",
                "runwatch_group_grad_norm{group=\"embed\",run=\"done\"}");
        fixture.advanceWallClock(Duration.ofSeconds(20)); // 310 s after the end
        assertThat(seriesOf("done")).isEmpty();
        assertThat(seriesOf("quiet")).contains("runwatch_run_step{run=\"quiet\"}", "runwatch_run_silence_seconds");

        fixture.advanceWallClock(Duration.ofSeconds(1_500)); // 1,810 s without a record
        assertThat(seriesOf("quiet")).doesNotContain("runwatch_run_", "runwatch_group_", "runwatch_loss_spikes");
        // The paging run went quiet too: its training series went, its page's series stays until it resolves.
        assertThat(seriesOf("paging")).doesNotContain("runwatch_run_step", "runwatch_run_loss")
                .contains("runwatch_alert_active{run=\"paging\",severity=\"page\",type=\"nonfinite\"} 1.0");

        // A record brings a run's series back.
        fixture.metric("quiet", step("quiet", 2, "1.9"), 1_810_000);
        assertThat(seriesOf("quiet")).contains("runwatch_run_step{run=\"quiet\"} 2.0");
    }

    @Test
    void theGeneralRetentionStillBoundsBoth() {
        // An operator who set metrics.run.retention.s shorter keeps that bound for training series too.
        fixture = new TopologyFixture(Settings.defaults().with(Settings.RUN_RETENTION_S, 60),
                RunwatchTopology.Mode.LIVE, stateDir);
        fixture.metric("quiet", step("quiet", 1, "2.0"), 0);
        fixture.advanceWallClock(Duration.ofSeconds(70));
        assertThat(seriesOf("quiet")).isEmpty();
    }
}
