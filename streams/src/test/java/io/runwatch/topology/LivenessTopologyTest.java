package io.runwatch.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import io.runwatch.config.Settings;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertState;
import io.runwatch.core.AlertType;
import io.runwatch.core.Severity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stalls, slowdowns and restarts through the production topology in LIVE mode. The punctuator runs on the wall
 * clock, which these tests advance by hand one tick at a time; every record is stamped with the wall-clock time
 * at which the run sends it, as a live trainer's records are.
 */
class LivenessTopologyTest {
    private static final String RUN = "r";
    private static final Duration TICK = Duration.ofSeconds(1);
    /** Small floors and graces so that a run with a 4-s pace learns its own deadline within a minute of steps. */
    private static final Settings SETTINGS = Settings.defaults()
            .with(Settings.TICK_INTERVAL_MS, TICK.toMillis())
            .with(Settings.STALL_FLOOR_S, 5)
            .with(Settings.STALL_STARTUP_GRACE_S, 30)
            .with(Settings.STALL_CHECKPOINT_GRACE_S, 120)
            .with(Settings.STALL_DECLARED_GRACE_S, 10);

    @TempDir
    Path stateDir;
    private TopologyFixture fixture;
    /** The driver's wall clock, which is also the record time of whatever the run sends now. */
    private long nowMs;
    private long step;

    @AfterEach
    void close() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void aSilentRunPagesOneTickAfterItsLearnedDeadlineAndResolvesWhenItReportsAgain() {
        start(SETTINGS);
        steadySteps(20, 4);
        double deadlineS = gauge("runwatch_run_stall_deadline_seconds");
        // 3 × the 99th percentile of 4-s intervals (histogram bins are 25 % wide): learned, well above the 5-s floor
        assertThat(deadlineS).isBetween(12.0, 15.0);

        pass((long) Math.floor(deadlineS));
        assertThat(fixture.alerts()).as("silence still within the deadline").isEmpty();
        pass(1);
        List<Alert> page = fixture.alerts();
        assertThat(page).hasSize(1);
        Alert stall = page.get(0);
        assertThat(stall.type()).isEqualTo(AlertType.stall);
        assertThat(stall.severity()).isEqualTo(Severity.page);
        assertThat(stall.state()).isEqualTo(AlertState.firing);
        assertThat(stall.step()).isEqualTo(20);
        assertThat(stall.threshold()).isCloseTo(deadlineS, within(1e-9));
        assertThat(stall.value()).isGreaterThan(deadlineS).isLessThanOrEqualTo(deadlineS + seconds(TICK));
        assertThat(stall.runbook()).isEqualTo("alerts/runbook.md#stall");
        assertThat(fixture.scrape()).contains("runwatch_alert_active{run=\"r\",severity=\"page\",type=\"stall\"} 1");

        pass(120);

        assertThat(fixture.alerts()).as("one page per episode, however long the silence").isEmpty();
        sendStep("");
        List<Alert> resolved = fixture.alerts();
        assertThat(resolved).extracting(Alert::id, Alert::state).containsExactly(
                tuple(stall.id(), AlertState.resolved));
    }

    @Test
    void aCheckpointSaveLongerThanTheStepDeadlineDoesNotPageButAHungSaveDoes() {
        start(SETTINGS);
        steadySteps(20, 4);
        double stepDeadlineS = gauge("runwatch_run_stall_deadline_seconds");
        event("{\"run\":\"r\",\"type\":\"checkpoint\",\"step\":" + step + "}");
        pass(100);
        assertThat(fixture.alerts()).as("a 100-s save, far past the %.1f-s step deadline", stepDeadlineS).isEmpty();
        assertThat(gauge("runwatch_run_stall_deadline_seconds")).isCloseTo(stepDeadlineS + 120, within(1e-9));
        steadySteps(20, 4);
        assertThat(fixture.alerts()).isEmpty();

        event("{\"run\":\"r\",\"type\":\"checkpoint\",\"step\":" + step + "}");
        pass(1);
        // the grace now grows to 2 × the save pause this run showed (about 100 s), so 200 s and more
        double saveDeadlineS = gauge("runwatch_run_stall_deadline_seconds");
        assertThat(saveDeadlineS).isGreaterThan(stepDeadlineS + 190);
        pass((long) Math.floor(saveDeadlineS) - 1);
        assertThat(fixture.alerts()).isEmpty();
        pass(1);
        List<Alert> page = fixture.alerts();
        assertThat(page).extracting(Alert::type, Alert::severity).containsExactly(
                tuple(AlertType.stall, Severity.page));
        assertThat(page.get(0).details()).containsEntry("during_checkpoint", true);
        assertThat(page.get(0).rollbackToStep()).isEqualTo(step);
    }

    @Test
    void aDeclaredWaitIsHonouredAndOnlyItsOverrunPages() {
        start(SETTINGS);
        steadySteps(20, 4);
        pass(4);
        sendStep(",\"expect_next_within_s\":300"); // e.g. an in-loop evaluation
        pass(300);
        assertThat(fixture.alerts()).as("within the declared 300 s + 10 s grace").isEmpty();
        assertThat(gauge("runwatch_run_stall_deadline_seconds")).isEqualTo(310.0);
        steadySteps(5, 4);
        assertThat(fixture.alerts()).isEmpty();

        pass(4);
        sendStep(",\"expect_next_within_s\":60");
        pass(70);
        assertThat(fixture.alerts()).isEmpty();
        pass(1);
        List<Alert> page = fixture.alerts();
        assertThat(page).extracting(Alert::type).containsExactly(AlertType.stall);
        assertThat(page.get(0).details()).containsEntry("declared", true);
        assertThat(page.get(0).threshold()).isEqualTo(70.0);
    }

    @Test
    void aRunThatEndedIsNeverStalled() {
        start(SETTINGS);
        steadySteps(20, 4);
        event("{\"run\":\"r\",\"type\":\"end\",\"step\":" + step + ",\"status\":\"completed\"}");
        pass(600);
        assertThat(fixture.alerts()).isEmpty();
    }

    @Test
    void threeRestartsFromTheSameCheckpointPageARestartStormThatResolvesOnceTheRunProgressesQuietly() {
        start(SETTINGS.with(Settings.STORM_QUIET_S, 60));
        event("{\"run\":\"r\",\"type\":\"start\"}");
        steadySteps(20, 2);
        event("{\"run\":\"r\",\"type\":\"checkpoint\",\"step\":20}");
        steadySteps(10, 2);
        List<Alert> storm = new ArrayList<>();
        long lastRestartMs = -1;
        for (int crash = 1; crash <= 3; crash++) {
            pass(5);
            event("{\"run\":\"r\",\"type\":\"start\",\"config\":{\"resumed_from_step\":20}}");
            lastRestartMs = nowMs;
            step = 20;
            steadySteps(10, 2); // crashes again at step 30, before any newer checkpoint
            storm.addAll(ofType(AlertType.restart_storm, fixture.alerts()));
            assertThat(storm).as("after restart %d", crash).hasSize(crash < 3 ? 0 : 1);
        }
        Alert page = storm.get(0);
        assertThat(page.severity()).isEqualTo(Severity.page);
        assertThat(page.state()).isEqualTo(AlertState.firing);
        assertThat(page.step()).isEqualTo(20);
        assertThat(page.rollbackToStep()).isEqualTo(20);
        assertThat(page.details()).containsEntry("restarts_without_progress", 3);
        pass(1);
        assertThat(gauge("runwatch_run_restarts_total")).isEqualTo(3.0);
        assertThat(gauge("runwatch_run_lost_steps_total")).as("steps 21..30 thrown away three times")
                .isEqualTo(30.0);

        while (nowMs - lastRestartMs < 58_000) { // progress, but still within the 60-s quiet period
            steadySteps(1, 2);
        }
        assertThat(ofType(AlertType.restart_storm, fixture.alerts())).isEmpty();
        steadySteps(2, 2);
        assertThat(ofType(AlertType.restart_storm, fixture.alerts()))
                .extracting(Alert::id, Alert::state, Alert::step)
                .containsExactly(tuple(page.id(), AlertState.resolved, 20L));
    }

    @Test
    void aThirtyPercentSlowdownOpensAThroughputTicketThatResolvesWhenSpeedReturns() {
        start(SETTINGS.with(Settings.THROUGHPUT_WINDOW_RECORDS, 8).with(Settings.THROUGHPUT_HOLD_STEPS, 20));
        stepsWithTokens(40, 10_000);
        assertThat(fixture.alerts()).isEmpty();
        long firstSlowStep = step + 1;
        stepsWithTokens(40, 7_000);
        List<Alert> ticket = fixture.alerts();
        assertThat(ticket).extracting(Alert::type, Alert::severity, Alert::state).containsExactly(
                tuple(AlertType.throughput_drop, Severity.ticket, AlertState.firing));
        Alert drop = ticket.get(0);
        assertThat(drop.metric()).isEqualTo("tokens_per_s");
        // the rolling median of 8 turns once 5 slow values are in it
        assertThat(drop.step()).isBetween(firstSlowStep, firstSlowStep + 8);
        assertThat(drop.value()).isCloseTo(7_000, within(100.0));
        pass(1);
        assertThat(gauge("runwatch_run_throughput_ratio")).isCloseTo(0.7, within(0.02));
        assertThat(fixture.scrape()).contains(
                "runwatch_alert_active{run=\"r\",severity=\"ticket\",type=\"throughput_drop\"} 1");

        stepsWithTokens(40, 10_000);
        assertThat(fixture.alerts()).extracting(Alert::id, Alert::state, Alert::step).containsExactly(
                tuple(drop.id(), AlertState.resolved, drop.step()));
        pass(1);
        assertThat(gauge("runwatch_run_throughput_ratio")).isCloseTo(1.0, within(0.02));
    }

    @Test
    void theRunsLivenessGaugesAreScraped() {
        start(SETTINGS.with(Settings.THROUGHPUT_WINDOW_RECORDS, 5));
        sendStep("");
        steadySteps(10, 4); // steps at t = 0, 4, ..., 40 s: 40 s of progress
        pass(60);
        // the stall opened at t ≈ 55 s; from then on the silence is not progress: 40 s of 100 s
        assertThat(gauge("runwatch_run_goodput_ratio")).isCloseTo(0.4, within(1e-9));
        assertThat(gauge("runwatch_run_silence_seconds")).isEqualTo(60.0);
        assertThat(gauge("runwatch_run_stall_deadline_seconds")).isBetween(12.0, 15.0);
        assertThat(gauge("runwatch_run_throughput_ratio")).isEqualTo(1.0);
        assertThat(gauge("runwatch_run_restarts_total")).isEqualTo(0.0);
        assertThat(gauge("runwatch_run_lost_steps_total")).isEqualTo(0.0);
    }

    // ---- the run and the clock ------------------------------------------------------------------------------

    private void start(Settings settings) {
        fixture = new TopologyFixture(settings, RunwatchTopology.Mode.LIVE, stateDir);
    }

    /** Lets {@code seconds} of wall time pass, one tick at a time. */
    private void pass(long seconds) {
        for (long s = 0; s < seconds; s++) {
            fixture.advanceWallClock(TICK);
            nowMs += TICK.toMillis();
        }
    }

    private void steadySteps(int count, long secondsEach) {
        for (int i = 0; i < count; i++) {
            pass(secondsEach);
            sendStep("");
        }
    }

    /** One step a second with tokens_per_s at {@code tokensPerS} ± 0.5 %, as real throughput jitters. */
    private void stepsWithTokens(int count, double tokensPerS) {
        for (int i = 0; i < count; i++) {
            pass(1);
            double jitter = step % 2 == 0 ? 1.005 : 0.995;
            sendStep(String.format(Locale.ROOT, ",\"tokens_per_s\":%.1f", tokensPerS * jitter));
        }
    }

    /** The next step, now; {@code extraFields} is appended to the JSON object (",\"name\":value"). */
    private void sendStep(String extraFields) {
        step++;
        double loss = 2 + 1 / Math.sqrt(step); // a plausible falling loss, so training health stays quiet
        fixture.metric(RUN, String.format(Locale.ROOT, "{\"run\":\"%s\",\"step\":%d,\"loss\":%.6f%s}", RUN, step,
                loss, extraFields), nowMs);
    }

    private void event(String json) {
        fixture.event(RUN, json, nowMs);
    }

    private double gauge(String name) {
        Matcher m = Pattern.compile("^" + name + "\\{run=\"" + RUN + "\"} (\\S+)$", Pattern.MULTILINE)
                .matcher(fixture.scrape());
        assertThat(m.find()).as("%s in the scrape", name).isTrue();
        return Double.parseDouble(m.group(1));
    }

    private static List<Alert> ofType(AlertType type, List<Alert> alerts) {
        return alerts.stream().filter(a -> a.type() == type).toList();
    }

    private static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }
}
