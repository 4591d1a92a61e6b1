package io.runwatch.topology;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class InputClockTest {
    private static final long IDLE_MS = 30_000;
    private static final long WALL_MS = 10_000_000;

    @Test
    void caughtUpItIsTheWallClock() {
        InputClock clock = new InputClock(IDLE_MS);
        clock.processed(WALL_MS - 300, WALL_MS); // a live record, processed 0.3 s after its time
        assertThat(clock.nowMs(WALL_MS + 5_000)).isEqualTo(WALL_MS + 4_700);
        clock.processed(WALL_MS + 4_900, WALL_MS + 5_000);
        assertThat(clock.nowMs(WALL_MS + 5_000)).isEqualTo(WALL_MS + 4_900);
    }

    @Test
    void behindItIsTheBacklogsOwnTimeAndTheWallClockOnceTheInputIsIdle() {
        InputClock clock = new InputClock(IDLE_MS);
        long backlogMs = WALL_MS - 1_800_000; // 30 min behind
        clock.processed(backlogMs, WALL_MS);
        assertThat(clock.nowMs(WALL_MS)).isEqualTo(backlogMs);
        clock.processed(backlogMs + 60_000, WALL_MS + 1_000); // a minute of backlog in a second
        assertThat(clock.nowMs(WALL_MS + 1_000)).isEqualTo(backlogMs + 60_000);
        clock.processed(backlogMs + 30_000, WALL_MS + 2_000); // older (another run): does not move it back
        assertThat(clock.nowMs(WALL_MS + 2_000)).isEqualTo(backlogMs + 61_000);
        // no more input: it runs on with the wall clock, then, once the input is idle, it is the wall clock
        assertThat(clock.nowMs(WALL_MS + 2_000 + IDLE_MS - 1)).isEqualTo(backlogMs + 61_000 + IDLE_MS - 1);
        assertThat(clock.nowMs(WALL_MS + 2_000 + IDLE_MS)).isEqualTo(WALL_MS + 2_000 + IDLE_MS);
    }

    @Test
    void aRecordStampedInTheFutureCannotMoveItPastTheWallClock() {
        InputClock clock = new InputClock(IDLE_MS);
        clock.processed(WALL_MS + 3_600_000, WALL_MS); // a trainer clock an hour ahead
        assertThat(clock.nowMs(WALL_MS)).isEqualTo(WALL_MS);
        assertThat(clock.nowMs(WALL_MS + 5_000)).isEqualTo(WALL_MS + 5_000);
        clock.processed(Long.MAX_VALUE, WALL_MS + 6_000);
        assertThat(clock.nowMs(WALL_MS + 7_000)).isEqualTo(WALL_MS + 7_000);
    }

    @Test
    void afterAStartItJudgesNothingUntilARecordArrivesOrTheGraceHasPassed() {
        InputClock idle = new InputClock(IDLE_MS);
        assertThat(idle.ready(WALL_MS)).isFalse();
        assertThat(idle.ready(WALL_MS + IDLE_MS - 1)).isFalse();
        assertThat(idle.ready(WALL_MS + IDLE_MS)).isTrue();
        assertThat(idle.nowMs(WALL_MS + IDLE_MS)).as("idle input: the wall clock").isEqualTo(WALL_MS + IDLE_MS);

        InputClock behind = new InputClock(IDLE_MS);
        assertThat(behind.ready(WALL_MS)).isFalse();
        behind.processed(WALL_MS - 1_800_000, WALL_MS + 1_000);
        assertThat(behind.ready(WALL_MS + 1_000)).isTrue();
        assertThat(behind.nowMs(WALL_MS + 1_000)).isEqualTo(WALL_MS - 1_800_000);
    }
}
