package io.runwatch.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.config.Settings;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertState;
import io.runwatch.core.AlertType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training tick through the production topology (LIVE) with a small bound on the runs one punctuation judges
 * ({@code liveness.tick.max.due.runs}), which makes visible which runs the deadline index hands to a tick: a
 * run judged when it was not due takes a slot from one that was. The wall clock is advanced by hand; every record
 * is stamped with the wall time at which it is sent.
 */
class LivenessDeadlineIndexTopologyTest {
    private static final Duration TICK = Duration.ofSeconds(1);
    private static final Settings SETTINGS = Settings.defaults()
            .with(Settings.TICK_INTERVAL_MS, TICK.toMillis())
            .with(Settings.STALL_FLOOR_S, 5)
            .with(Settings.STALL_STARTUP_GRACE_S, 30);

    @TempDir
    Path stateDir;
    private TopologyFixture fixture;
    private long nowMs;

    @AfterEach
    void close() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void moreRunsDueThanTheBoundArePagedInSlicesRightAfterTheTick() {
        start(2);
        List<String> runs = List.of("r1", "r2", "r3", "r4", "r5");
        lockstep(runs, 20);

        List<Alert> first = untilFirstStall();
        assertThat(first).as("one tick judges at most the bound").hasSize(2);
        fixture.advanceWallClock(TrainingProcessor.CATCH_UP_SLICE);
        assertThat(stalls(fixture.alerts())).as("the next slice, 100 ms later").hasSize(2);
        fixture.advanceWallClock(TrainingProcessor.CATCH_UP_SLICE);
        List<Alert> last = stalls(fixture.alerts());
        assertThat(last).hasSize(1);
        assertThat(List.of(first, last).stream().flatMap(List::stream).map(Alert::run).distinct().count())
                .isEqualTo(3);
        fixture.advanceWallClock(Duration.ofSeconds(30));
        assertThat(fixture.alerts()).as("each run paged once").isEmpty();
    }

    @Test
    void aRunThatReportedIsNotJudgedAtItsOldDeadline() {
        start(1);
        // "busy" sorts before "quiet": at an equal due time its entry would come first and take the only slot
        lockstep(List.of("busy", "quiet"), 20);
        pass(4);
        step("busy", 21); // moves busy's deadline 4 s past quiet's; quiet stays silent

        List<Alert> page = untilFirstStall();
        assertThat(page).as("quiet is paged at the first tick past its deadline, not a slice later")
                .extracting(Alert::run).containsExactly("quiet");
        assertThat(page.get(0).value()).isLessThanOrEqualTo(page.get(0).threshold() + TICK.toMillis() / 1000.0);
    }

    @Test
    void aDueRunIsJudgedAndAnIdleRunsSeriesExpireOnTheirOwnDueTime() {
        start(1_000);
        lockstep(List.of("a"), 20);
        long lastRecordMs = nowMs;
        List<Alert> page = untilFirstStall();
        assertThat(page).extracting(Alert::run).containsExactly("a");
        // the idle-series retention (30 min) after its last record: its training series go, its state stays
        advance(Duration.ofMillis(lastRecordMs + 1_800_000 - nowMs));
        assertThat(fixture.scrape()).contains("runwatch_run_silence_seconds{run=\"a\"} 1800");
        advance(TICK);
        assertThat(fixture.scrape()).doesNotContain("runwatch_run_silence_seconds{run=\"a\"}");
        assertThat(fixture.store(TrainingProcessor.LIVENESS_STORE).get("a")).isNotNull();
    }

    private void start(int maxDueRunsPerTick) {
        fixture = new TopologyFixture(SETTINGS.with(Settings.TICK_MAX_DUE_RUNS, maxDueRunsPerTick),
                RunwatchTopology.Mode.LIVE, stateDir);
    }

    /** {@code steps} steps of every run, 4 s apart, all runs at the same times. */
    private void lockstep(List<String> runs, int steps) {
        for (int s = 1; s <= steps; s++) {
            pass(4);
            for (String run : runs) {
                step(run, s);
            }
        }
    }

    /** Ticks one at a time until a tick raises stalls; returns them. */
    private List<Alert> untilFirstStall() {
        for (int i = 0; i < 120; i++) {
            pass(1);
            List<Alert> stalls = stalls(fixture.alerts());
            if (!stalls.isEmpty()) {
                return stalls;
            }
        }
        throw new AssertionError("no stall within 120 s");
    }

    private void advance(Duration by) {
        fixture.advanceWallClock(by);
        nowMs += by.toMillis();
    }

    private void pass(long seconds) {
        for (long s = 0; s < seconds; s++) {
            fixture.advanceWallClock(TICK);
            nowMs += TICK.toMillis();
        }
    }

    private void step(String run, long step) {
        fixture.metric(run, String.format(Locale.ROOT, "{\"run\":\"%s\",\"step\":%d,\"loss\":%.6f}", run, step,
                2 + 1 / Math.sqrt(step)), nowMs);
    }

    private static List<Alert> stalls(List<Alert> alerts) {
        return alerts.stream().filter(a -> a.type() == AlertType.stall && a.state() == AlertState.firing).toList();
    }
}
