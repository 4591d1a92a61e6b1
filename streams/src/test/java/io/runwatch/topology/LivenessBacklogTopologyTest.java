package io.runwatch.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.config.Settings;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertState;
import io.runwatch.core.AlertType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An instance that starts behind: 20 live runs' records of the last 30 minutes wait in the topic and are worked
 * through while the wall-clock punctuator ticks. Silence is judged on the backlog's own time, so no run pages
 * while the instance catches up; a run that really stopped inside the backlog still does, and so does every run
 * once the input stops for good.
 */
class LivenessBacklogTopologyTest {
    private static final int RUNS = 20;
    private static final long PACE_MS = 4_000;
    private static final long BACKLOG_MS = Duration.ofMinutes(30).toMillis();
    private static final Duration TICK = Duration.ofSeconds(1);
    /** Records worked through per wall-clock second while catching up: 80 s of the runs' time per second. */
    private static final int RECORDS_PER_TICK = 400;
    private static final Settings SETTINGS = Settings.defaults()
            .with(Settings.TICK_INTERVAL_MS, TICK.toMillis())
            .with(Settings.STALL_FLOOR_S, 5)
            .with(Settings.STALL_STARTUP_GRACE_S, 30);

    @TempDir
    Path stateDir;
    private TopologyFixture fixture;
    private long wallMs;
    private final long[] steps = new long[RUNS];

    @AfterEach
    void close() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void aThirtyMinuteBacklogOfTwentyRunsPagesNoStallWhileCaughtUpButEveryRunPagesOnceTheInputStops() {
        start();
        long caughtUpAtMs = catchUp(-1, Long.MAX_VALUE);
        assertThat(caughtUpAtMs - BACKLOG_MS).as("wall time the catch-up took, ms").isBetween(10_000L, 60_000L);
        assertThat(stalls()).as("stall pages while catching up").isEmpty();

        // live again: every run steps on the wall clock for a minute, then all of them stop at once
        for (int round = 0; round < 15; round++) {
            pass(PACE_MS / 1000);
            for (int run = 0; run < RUNS; run++) {
                step(run, wallMs);
            }
        }
        assertThat(stalls()).isEmpty();
        pass(60);
        List<Alert> pages = stalls();
        assertThat(pages).extracting(Alert::run).containsExactlyInAnyOrderElementsOf(runs());
        assertThat(pages).allSatisfy(page -> {
            assertThat(page.state()).isEqualTo(AlertState.firing);
            // judged on the wall clock: the silence is what really passed, one tick past a deadline of 12-15 s
            assertThat(page.value()).isGreaterThan(page.threshold()).isLessThanOrEqualTo(page.threshold() + 1);
        });
    }

    @Test
    void aRunThatStoppedInsideTheBacklogPagesOnTheBacklogsTimeWhileTheOthersStayQuiet() {
        start();
        long stoppedAtMs = BACKLOG_MS - Duration.ofMinutes(10).toMillis();
        catchUp(0, stoppedAtMs);
        List<Alert> pages = stalls();
        assertThat(pages).extracting(Alert::run).containsExactly(run(0));
        Alert page = pages.get(0);
        // the silence the backlog's own clock saw: one tick of backlog time (80 s) past the deadline at most,
        // not the 20 minutes of wall-clock lag the instance started with
        assertThat(page.value()).isGreaterThan(page.threshold())
                .isLessThanOrEqualTo(page.threshold() + PACE_MS / 1000.0 * RECORDS_PER_TICK / RUNS);
        assertThat(page.step()).isEqualTo(stoppedAtMs / PACE_MS);
    }

    @Test
    void aRunWhoseClockIsAnHourAheadCannotMakeTheOthersPageEarly() {
        start();
        pass(60); // an idle start: judged on the wall clock from here
        long skewMs = Duration.ofHours(1).toMillis();
        for (int round = 0; round < 20; round++) {
            pass(PACE_MS / 1000);
            for (int run = 0; run < RUNS; run++) {
                step(run, run == 0 ? wallMs + skewMs : wallMs);
            }
        }
        assertThat(stalls()).isEmpty();
        pass(10); // within every learned deadline (12-15 s) of the runs on a true clock
        assertThat(stalls()).as("judged as if now were the skewed run's time").isEmpty();
        pass(50);
        List<Alert> pages = stalls();
        // the skewed run's own silence is negative on the wall clock until its clock's hour has passed
        assertThat(pages).extracting(Alert::run).containsExactlyInAnyOrderElementsOf(runs().subList(1, RUNS));
    }

    // ---- the runs and the clock -----------------------------------------------------------------------------

    private void start() {
        fixture = new TopologyFixture(SETTINGS, RunwatchTopology.Mode.LIVE, stateDir);
    }

    /**
     * Starts the instance 30 minutes behind the runs, which have stepped every 4 s since time 0 and keep doing
     * so, and works through their records in time order, {@link #RECORDS_PER_TICK} per wall-clock second, until
     * it has caught up. Run {@code stoppingRun} sends nothing after {@code stopsAtMs}.
     *
     * @return the wall time at which the instance had caught up
     */
    private long catchUp(int stoppingRun, long stopsAtMs) {
        pass(BACKLOG_MS / 1000); // the instance was down: nothing to process, nothing to judge
        assertThat(stalls()).isEmpty();
        int sinceTick = 0;
        for (long timeMs = PACE_MS; timeMs <= wallMs; timeMs += PACE_MS) {
            for (int run = 0; run < RUNS; run++) {
                if (run != stoppingRun || timeMs <= stopsAtMs) {
                    step(run, timeMs);
                }
                if (++sinceTick == RECORDS_PER_TICK) {
                    pass(1);
                    sinceTick = 0;
                }
            }
        }
        return wallMs;
    }

    private void pass(long seconds) {
        for (long s = 0; s < seconds; s++) {
            fixture.advanceWallClock(TICK);
            wallMs += TICK.toMillis();
        }
    }

    /** The run's next step, stamped {@code timeMs} by the trainer and sent (Kafka timestamp) at that time too. */
    private void step(int run, long timeMs) {
        long step = ++steps[run];
        double loss = 2 + 1 / Math.sqrt(step);
        fixture.metric(run(run), String.format(Locale.ROOT, "{\"run\":\"%s\",\"step\":%d,\"time\":%d,\"loss\":%.6f}",
                run(run), step, timeMs, loss), Math.min(timeMs, wallMs));
    }

    /** The stall alerts (firing and resolved) since the last call. */
    private List<Alert> stalls() {
        return fixture.alerts().stream().filter(a -> a.type() == AlertType.stall).toList();
    }

    private static String run(int index) {
        return String.format(Locale.ROOT, "run-%02d", index);
    }

    private static List<String> runs() {
        List<String> runs = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            runs.add(run(i));
        }
        return runs;
    }
}
