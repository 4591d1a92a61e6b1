package io.runwatch.core.liveness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LivenessGoodputTest {

    @Test
    void unknownBeforeTheFirstRecord() {
        LivenessDriver run = new LivenessDriver();

        assertThat(run.monitor.goodputRatio(run.state, run.nowMs)).isNaN();
        assertThat(run.monitor.lostSteps(run.state)).isZero();
    }

    @Test
    void steadyRunIsAllGoodput() {
        LivenessDriver run = new LivenessDriver().start(null).steps(3_600, 1.0).pass(0.5);

        assertThat(run.monitor.goodputRatio(run.state, run.nowMs)).isCloseTo(1.0, within(1e-9));
    }

    @Test
    void anHourStalledInTwoHoursHalvesGoodput() {
        LivenessDriver run = new LivenessDriver().start(null).steps(3_600, 1.0).pass(3_600).steps(1, 1.0);

        assertThat(run.monitor.goodputRatio(run.state, run.nowMs)).isCloseTo(3_600.0 / 7_201, within(1e-6));
    }

    @Test
    void anOngoingStallStopsCountingAtOnce() {
        LivenessDriver run = new LivenessDriver().start(null).steps(1_000, 1.0).pass(60);
        assertThat(run.monitor.goodputRatio(run.state, run.nowMs)).as("within the deadline").isEqualTo(1.0);

        run.pass(940);
        assertThat(run.monitor.goodputRatio(run.state, run.nowMs)).isCloseTo(0.5, within(1e-9));
    }

    @Test
    void redoingStepsLostToARewindIsNotGoodputAndIsCountedAsLostSteps() {
        // 1000 new steps (1000 s), 100 s down, resume from 800: 200 redone steps, then 800 new ones
        LivenessDriver run = new LivenessDriver().start(null).steps(1_000, 1.0).pass(100).start(800L)
                .steps(1_000, 1.0);

        assertThat(run.monitor.lostSteps(run.state)).isEqualTo(200);
        assertThat(run.monitor.goodputRatio(run.state, run.nowMs)).isCloseTo(1_800.0 / 2_100, within(1e-9));
    }

    @Test
    void aRecordThatCrossesTheHighWaterMarkCountsItsNewPart() {
        LivenessDriver run = new LivenessDriver().start(null);
        run.pass(10).step(100).pass(10).step(200).pass(10).start(150L).pass(10).step(250);

        // 20 s of new steps, 10 s down, then 10 s of which half (200 → 250 of 150 → 250) is new
        assertThat(run.monitor.goodputRatio(run.state, run.nowMs)).isCloseTo(25.0 / 40, within(1e-9));
        assertThat(run.monitor.lostSteps(run.state)).isEqualTo(50);
    }

    @Test
    void goodputStopsAtTheEnd() {
        LivenessDriver run = new LivenessDriver().start(null).steps(1_000, 1.0).end().pass(5_000);

        assertThat(run.monitor.goodputRatio(run.state, run.nowMs)).isEqualTo(1.0);
        assertThat(run.monitor.gauges(run.state, run.nowMs).goodputRatio()).isEqualTo(1.0);
    }
}
