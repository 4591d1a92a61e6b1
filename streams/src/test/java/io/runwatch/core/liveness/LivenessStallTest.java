package io.runwatch.core.liveness;

import static io.runwatch.core.liveness.LivenessDriver.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.runwatch.core.AlertType;
import io.runwatch.core.Severity;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LivenessStallTest {

    @Test
    void fastRunThatStopsPagesJustAfterTheFloorDeadline() {
        LivenessDriver run = new LivenessDriver().start(null).steps(300, 1.0);
        long lastStepMs = run.nowMs;

        run.pass(115);
        assertThat(run.of(AlertType.stall)).isEmpty();
        run.pass(20);

        assertThat(run.firing(AlertType.stall)).singleElement().satisfies(alert -> {
            assertThat(alert.severity()).isEqualTo(Severity.page);
            assertThat(alert.step()).isEqualTo(300);
            assertThat(alert.threshold()).isEqualTo(120.0);
            assertThat(alert.value()).isBetween(120.0, 125.0);
            assertThat(alert.timeMs() - lastStepMs).isBetween(120_000L, 125_000L);
            assertThat(alert.summary()).contains("run-a", "step 300", "hung");
        });
    }

    @Test
    void slowRunLearnsALongerDeadlineFromItsOwnIntervals() {
        SplittableRandom random = new SplittableRandom(7);
        LivenessDriver run = new LivenessDriver().start(null);
        for (int i = 0; i < 200; i++) {
            run.steps(1, 60 * (0.9 + 0.2 * random.nextDouble()));
        }
        double deadline = run.monitor.stallDeadlineSeconds(run.state);
        assertThat(deadline).isBetween(150.0, 250.0);

        run.pass(deadline - 10).step(run.step + 1);
        assertThat(run.of(AlertType.stall)).as("a long but normal interval").isEmpty();

        run.pass(run.monitor.stallDeadlineSeconds(run.state) + 6);
        assertThat(run.firing(AlertType.stall)).hasSize(1);
    }

    @Test
    void stallResolvesOnceWhenTheRunReportsAgainWithTheSameId() {
        LivenessDriver run = new LivenessDriver().start(null).steps(100, 1.0).pass(600).steps(5, 1.0);

        assertThat(run.firing(AlertType.stall)).hasSize(1);
        assertThat(run.resolved(AlertType.stall)).singleElement().satisfies(resolved -> {
            assertThat(resolved.id()).isEqualTo(run.firing(AlertType.stall).get(0).id());
            assertThat(resolved.detectedAtStep()).isEqualTo(101);
            assertThat(resolved.summary()).contains("reported step 101");
        });
    }

    @Test
    void aRunThatEndedNeverStalls() {
        LivenessDriver run = new LivenessDriver().start(null).steps(100, 1.0).end().pass(7_200);

        assertThat(run.of(AlertType.stall)).isEmpty();
        assertThat(run.monitor.stallDeadlineSeconds(run.state)).isNaN();
    }

    @Test
    void endingAStalledRunResolvesTheStall() {
        LivenessDriver run = new LivenessDriver().start(null).steps(100, 1.0).pass(600).end();

        assertThat(run.resolved(AlertType.stall)).singleElement()
                .satisfies(a -> assertThat(a.summary()).contains("ended"));
    }

    @Test
    void declaredWaitOverridesTheDeadlineForTheNextRecordOnly() {
        LivenessDriver run = new LivenessDriver().start(null).steps(100, 1.0).stepDeclaring(1, 1_200);

        run.pass(1_200);
        assertThat(run.of(AlertType.stall)).as("within the declared 20 min + grace").isEmpty();
        run.steps(1, 1.0).pass(130);
        assertThat(run.firing(AlertType.stall)).as("the next silence uses the learned deadline again").hasSize(1);
    }

    @Test
    void silenceBeyondADeclaredWaitPages() {
        LivenessDriver run = new LivenessDriver().start(null).steps(100, 1.0).stepDeclaring(1, 600);

        run.pass(625);
        assertThat(run.of(AlertType.stall)).isEmpty();
        run.pass(10);
        assertThat(run.firing(AlertType.stall)).singleElement()
                .satisfies(a -> assertThat(a.summary()).contains("declared by the trainer"));
    }

    @Test
    void aDeclarationShorterThanTheRunsOwnPaceDoesNotPageEarlier() {
        // The run slowed from 40 s to 80 s a step, then declared a 60 s wait for its save: the save time plus
        // the step time it used to have. The step arrived after 130 s; the declared 60 s + grace paged a live run.
        LivenessDriver run = new LivenessDriver().start(null).steps(100, 40).steps(100, 80).stepDeclaring(80, 60);

        run.pass(130).steps(1, 0);
        assertThat(run.of(AlertType.stall)).as("within its own pace (3 × ~80 s)").isEmpty();

        run.stepDeclaring(80, 60).pass(300);
        assertThat(run.firing(AlertType.stall)).as("a hung declared wait still pages").singleElement()
                .satisfies(a -> {
                    assertThat(a.threshold()).isBetween(200.0, 300.0);
                    assertThat(a.summary()).contains("its own pace; the trainer declared less");
                });
    }

    @Test
    void checkpointEventBeforeTheSaveStretchesTheDeadline() {
        LivenessDriver run = new LivenessDriver().start(null).steps(100, 1.0).checkpoint().pass(600).steps(100, 1.0);

        assertThat(run.of(AlertType.stall)).as("a 10 min save within the initial checkpoint grace").isEmpty();
    }

    @Test
    void learnedCheckpointPauseStillLetsAHungSavePage() {
        LivenessDriver run = new LivenessDriver().start(null);
        for (int i = 0; i < 3; i++) {
            run.steps(100, 1.0).checkpoint().pass(600).steps(1, 1.0);
        }
        run.steps(100, 1.0).checkpoint().pass(1_200);
        assertThat(run.of(AlertType.stall)).as("within floor + 2 x the learned 10 min save").isEmpty();
        run.pass(200);

        assertThat(run.firing(AlertType.stall)).singleElement().satisfies(a -> {
            assertThat(a.threshold()).isBetween(1_300.0, 1_330.0);
            assertThat(a.rollbackToStep()).as("the newest save").isEqualTo(403L);
        });
    }

    @Test
    void periodicSaveAnnouncedAfterItsPauseDoesNotPageOnceTheCadenceIsKnown() {
        LivenessDriver run = new LivenessDriver().start(null);
        // saves every 100 steps, the event sent when the save is done: first two short, then long
        for (int i = 0; i < 2; i++) {
            run.steps(99, 1.0).pass(100).checkpoint().steps(1, 1.0);
        }
        for (int i = 0; i < 5; i++) {
            run.steps(99, 1.0).pass(180).checkpoint().steps(1, 1.0);
        }

        assertThat(run.of(AlertType.stall)).isEmpty();
    }

    @Test
    void hangBeforeTheFirstStepAfterAStartPagesAfterTheStartupGrace() {
        LivenessDriver run = new LivenessDriver().start(null).steps(100, 1.0).start(90L);

        run.pass(1_700);
        assertThat(run.of(AlertType.stall)).isEmpty();
        run.pass(110);
        assertThat(run.firing(AlertType.stall)).singleElement().satisfies(a -> {
            assertThat(a.step()).isEqualTo(90);
            assertThat(a.summary()).contains("(re)started at step 90", "startup grace");
        });
    }

    @Test
    void twoStallsAtTheSameStepAreTwoEpisodes() {
        LivenessDriver run = new LivenessDriver().start(null).steps(100, 1.0).pass(300).start(100L).pass(2_000);

        assertThat(run.firing(AlertType.stall)).hasSize(2);
        assertThat(run.firing(AlertType.stall).get(0).id()).isNotEqualTo(run.firing(AlertType.stall).get(1).id());
        assertThat(run.resolved(AlertType.stall)).singleElement()
                .satisfies(a -> assertThat(a.summary()).contains("started again"));
    }

    @Test
    void aSelfResolvingLongPauseIsRememberedSoItsRepeatDoesNotPageAgain() {
        LivenessDriver run = new LivenessDriver().start(null);
        run.steps(200, 10.0).pass(300).steps(200, 10.0).pass(300).steps(10, 10.0);

        assertThat(run.firing(AlertType.stall)).as("only the first undeclared 5 min evaluation pages").hasSize(1);
    }

    @Test
    void deadlineNeverDropsBelowTheFloor() {
        LivenessDriver run = new LivenessDriver(LivenessSettings.defaults().withStallFloorS(300)).start(null)
                .steps(500, 0.2);

        assertThat(run.monitor.stallDeadlineSeconds(run.state)).isEqualTo(300.0);
        assertThat(run.state.lastAliveMs).isEqualTo(T0 + 100_000);
    }

    @Test
    void gaugesExposeDeadlineAndSilence() {
        LivenessDriver run = new LivenessDriver().start(null).steps(100, 1.0).pass(30);

        LivenessGauges gauges = run.monitor.gauges(run.state, run.nowMs);
        assertThat(gauges.stallDeadlineS()).isEqualTo(120.0);
        assertThat(gauges.silenceS()).isCloseTo(30.0, within(1e-9));
        assertThat(run.alerts).isEmpty();
    }
}
