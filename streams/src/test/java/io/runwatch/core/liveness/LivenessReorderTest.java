package io.runwatch.core.liveness;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.core.MetricPoint;
import org.junit.jupiter.api.Test;

/** Records reordered in transit are normal: they are neither progress nor restarts. */
class LivenessReorderTest {

    @Test
    void aFewLateRecordsAreNotRestarts() {
        LivenessDriver run = new LivenessDriver().start(null).steps(200, 1.0);
        for (int i = 0; i < 6; i++) {
            long newest = run.step;
            // The record of step newest-2 arrives after newest's, carrying its own (earlier) time.
            run.pass(0.5).metric(MetricPoint.ofLoss(LivenessDriver.RUN, newest - 2, run.nowMs - 2_500, 2.0));
            run.step = newest;
            run.steps(50, 1.0);
        }
        assertThat(run.alerts).isEmpty();
        assertThat(run.state.restarts.total).isZero();
        assertThat(new LivenessMonitor(LivenessSettings.defaults()).lostSteps(run.state)).isZero();
    }

    @Test
    void aLateRecordStampedOnArrivalIsNotARestart() {
        LivenessDriver run = new LivenessDriver().start(null).steps(200, 10.0);
        long newest = run.step;
        run.pass(2).metric(MetricPoint.ofLoss(LivenessDriver.RUN, newest - 2, run.nowMs, 2.0));
        run.step = newest;
        run.steps(50, 10.0);

        assertThat(run.alerts).isEmpty();
        assertThat(run.state.restarts.total).isZero();
    }

    @Test
    void aCrashRightBeforeADueCheckpointIsARestart() {
        // Saves every 5 records of 20 s; the stall deadline then holds a 15 min save allowance. It served as
        // "one usual interval" and swallowed a replay that came 100 s after the crash.
        LivenessDriver run = new LivenessDriver().start(null);
        for (int i = 0; i < 20; i++) {
            run.steps(5, 20.0).checkpoint();
        }
        long saved = run.step;
        run.steps(4, 20.0).pass(100).step(saved + 1);

        assertThat(run.state.restarts.total).isEqualTo(1);
    }

    @Test
    void aCrashOnARunWithEvaluationPausesIsARestart() {
        // Steps of 40 s and, every 50, an undeclared 110 s evaluation: the intervals' high quantile is the
        // evaluation, not a step, and a 100 s crash + reload is shorter than it.
        LivenessDriver run = new LivenessDriver().start(null);
        for (int i = 0; i < 10; i++) {
            run.steps(50, 40.0).steps(1, 110.0);
        }
        long newest = run.step;
        run.pass(100).step(newest - 1);

        assertThat(run.state.restarts.total).isEqualTo(1);
        assertThat(run.state.restarts.lostSteps).isPositive();
    }

    @Test
    void aStepFarBehindIsStillARestart() {
        LivenessDriver run = new LivenessDriver().start(null).steps(500, 1.0);
        run.pass(60).step(run.step - 300);
        assertThat(run.state.restarts.total).isEqualTo(1);
    }
}
