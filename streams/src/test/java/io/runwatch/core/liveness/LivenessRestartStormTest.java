package io.runwatch.core.liveness;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.core.AlertType;
import io.runwatch.core.Severity;
import org.junit.jupiter.api.Test;

class LivenessRestartStormTest {

    /** Crash, come back after {@code downS}, resume from {@code from} and train {@code steps} steps of 1 s. */
    private static LivenessDriver crashAndResume(LivenessDriver run, long from, double downS, int steps) {
        return run.pass(downS).start(from).steps(steps, 1.0);
    }

    @Test
    void fiveRestartsInHalfAnHourPageAtTheFifth() {
        LivenessDriver run = new LivenessDriver().start(null).steps(500, 1.0).checkpoint();
        for (int i = 1; i <= 4; i++) {
            run.steps(100, 1.0).checkpoint();
            crashAndResume(run, run.step, 60, 200);
        }
        assertThat(run.of(AlertType.restart_storm)).as("4 restarts, each after a newer checkpoint").isEmpty();

        crashAndResume(run, run.step - 200, 60, 10);
        assertThat(run.firing(AlertType.restart_storm)).singleElement().satisfies(alert -> {
            assertThat(alert.severity()).isEqualTo(Severity.page);
            assertThat(alert.value()).isEqualTo(5.0);
            assertThat(alert.threshold()).isEqualTo(5.0);
            assertThat(alert.summary()).contains("crash-looping", "5 restarts");
        });
    }

    @Test
    void fastCrashLoopWithoutStartEventsPages() {
        // Saves every 5 records of 20 s, then crashes 4 records after each save and replays after 100 s.
        LivenessDriver run = new LivenessDriver().start(null);
        for (int i = 0; i < 20; i++) {
            run.steps(5, 20.0).checkpoint();
        }
        for (int crash = 1; crash <= 5; crash++) {
            long saved = run.step;
            run.steps(4, 20.0).pass(100).step(saved + 1);
            run.steps(4, 20.0).checkpoint();
        }

        assertThat(run.state.restarts.total).isEqualTo(5);
        assertThat(run.firing(AlertType.restart_storm)).singleElement()
                .satisfies(alert -> assertThat(alert.details()).containsEntry("restarts_in_window", 5));
    }

    @Test
    void threeSlowRestartsFromTheSameCheckpointPage() {
        LivenessDriver run = new LivenessDriver().start(null).steps(1_000, 1.0).checkpoint().steps(500, 1.0);
        crashAndResume(run, 1_000, 120, 2_000);
        crashAndResume(run, 1_000, 120, 2_000);
        assertThat(run.of(AlertType.restart_storm)).isEmpty();

        crashAndResume(run, 1_000, 120, 10);
        assertThat(run.firing(AlertType.restart_storm)).singleElement().satisfies(alert -> {
            assertThat(alert.step()).isEqualTo(1_000);
            assertThat(alert.rollbackToStep()).isEqualTo(1_000L);
            assertThat(alert.details()).containsEntry("restarts_without_progress", 3);
        });
    }

    @Test
    void occasionalRestartsWithCheckpointProgressNeverPage() {
        LivenessDriver run = new LivenessDriver().start(null);
        for (int i = 0; i < 10; i++) {
            run.steps(3_000, 1.0).checkpoint().steps(700, 1.0);
            crashAndResume(run, run.step - 700, 300, 10);
        }

        assertThat(run.of(AlertType.restart_storm)).isEmpty();
        assertThat(run.state.restarts.total).isEqualTo(10);
    }

    @Test
    void stepsGoingBackwardsWithoutStartEventsCountAsRestarts() {
        LivenessDriver run = new LivenessDriver().start(null).steps(1_000, 1.0);
        for (int i = 0; i < 3; i++) {
            run.pass(60).step(801);
            run.steps(199, 1.0);
        }

        assertThat(run.firing(AlertType.restart_storm)).as("3 rewinds to the same place").hasSize(1);
        assertThat(run.state.restarts.total).isEqualTo(3);
    }

    @Test
    void aStartEventAndTheRewindThatFollowsItAreOneRestart() {
        LivenessDriver run = new LivenessDriver().start(null).steps(1_000, 1.0).checkpoint();
        for (int i = 0; i < 2; i++) {
            run.steps(300, 1.0).pass(60).start(null);
            run.step(1_001);
            run.steps(10, 1.0);
        }

        assertThat(run.state.restarts.total).isEqualTo(2);
        assertThat(run.of(AlertType.restart_storm)).isEmpty();
        assertThat(run.monitor.lostSteps(run.state)).isEqualTo((1_300 - 1_000) + (1_311 - 1_000));
    }

    @Test
    void stormResolvesAfterAQuietPeriodWithProgressOnly() {
        LivenessDriver run = new LivenessDriver().start(null).steps(100, 1.0).checkpoint();
        for (int i = 0; i < 3; i++) {
            crashAndResume(run, 100, 30, 5);
        }
        assertThat(run.firing(AlertType.restart_storm)).hasSize(1);

        run.steps(1_700, 1.0);
        assertThat(run.resolved(AlertType.restart_storm)).as("quiet for only ~28 min").isEmpty();
        run.steps(200, 1.0);
        assertThat(run.resolved(AlertType.restart_storm)).singleElement().satisfies(alert -> {
            assertThat(alert.id()).isEqualTo(run.firing(AlertType.restart_storm).get(0).id());
            assertThat(alert.summary()).contains("has not restarted", "progress");
        });
    }

    @Test
    void stormDoesNotResolveWhileTheRunMakesNoProgress() {
        LivenessDriver run = new LivenessDriver().start(null).steps(100, 1.0).checkpoint();
        for (int i = 0; i < 3; i++) {
            run.pass(30).start(100L);
        }
        run.pass(7_200);

        assertThat(run.firing(AlertType.restart_storm)).hasSize(1);
        assertThat(run.resolved(AlertType.restart_storm)).isEmpty();
    }

    @Test
    void cooldownHoldsBackASecondStormWithinTheHour() {
        LivenessDriver run = new LivenessDriver().start(null).steps(100, 1.0).checkpoint();
        for (int i = 0; i < 3; i++) {
            crashAndResume(run, 100, 10, 5);
        }
        run.steps(1_850, 1.0); // resolves ~31 min after the storm
        for (int i = 0; i < 3; i++) {
            crashAndResume(run, 100, 10, 5);
        }
        assertThat(run.firing(AlertType.restart_storm)).as("within the 1 h cooldown").hasSize(1);

        run.steps(1_850, 1.0);
        for (int i = 0; i < 3; i++) {
            crashAndResume(run, 100, 10, 5);
        }
        assertThat(run.firing(AlertType.restart_storm)).hasSize(2);
        assertThat(run.firing(AlertType.restart_storm).get(1).id())
                .isNotEqualTo(run.firing(AlertType.restart_storm).get(0).id());
    }

    @Test
    void endResolvesAnOpenStorm() {
        LivenessDriver run = new LivenessDriver().start(null).steps(100, 1.0).checkpoint();
        for (int i = 0; i < 3; i++) {
            crashAndResume(run, 100, 30, 5);
        }
        run.end();

        assertThat(run.resolved(AlertType.restart_storm)).hasSize(1);
    }
}
