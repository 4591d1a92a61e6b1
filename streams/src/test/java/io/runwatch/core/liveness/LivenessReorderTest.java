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
    void aStepFarBehindIsStillARestart() {
        LivenessDriver run = new LivenessDriver().start(null).steps(500, 1.0);
        run.pass(60).step(run.step - 300);
        assertThat(run.state.restarts.total).isEqualTo(1);
    }
}
