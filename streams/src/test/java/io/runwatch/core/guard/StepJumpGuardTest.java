package io.runwatch.core.guard;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunConfig;
import io.runwatch.core.RunEvent;
import io.runwatch.core.RunInput;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StepJumpGuardTest {
    private final StepJumpGuard guard = new StepJumpGuard(new StepGuardSettings(100, 1_000, 3, 5));
    private final StepGuardState state = new StepGuardState();
    private final List<Long> processed = new ArrayList<>();
    private final List<String> refused = new ArrayList<>();
    private long offset;

    private void metric(long step) {
        metric(step, 2.0);
    }

    private void metric(long step, double loss) {
        decide(RunInput.of(MetricPoint.ofLoss("r", step, step * 1_000, loss)));
    }

    private void event(RunEvent event) {
        decide(RunInput.of(event));
    }

    private void decide(RunInput input) {
        GuardDecision decision = guard.onInput(state, new GuardedInput(input, 0, offset++));
        for (GuardedInput released : decision.release()) {
            processed.add(released.input().metric() != null ? released.input().metric().step() : -1L);
        }
        for (GuardDecision.Refused r : decision.refused()) {
            refused.add(r.input().input().metric().step() + ": " + r.detail());
        }
    }

    private void steps(long from, long to, long every) {
        for (long s = from; s <= to; s += every) {
            metric(s);
        }
    }

    @Test
    void aSteadyRunPassesUntouched() {
        steps(0, 500, 1);
        assertThat(processed).hasSize(501);
        assertThat(state.held).isEmpty();
        assertThat(refused).isEmpty();
    }

    @Test
    void oneCorruptStepIsHeldThenRefusedWhileTheRunGoesOnAndANaNAfterItIsProcessedAtOnce() {
        steps(0, 500, 1);
        metric(1_000_000_000_000L);
        assertThat(processed).hasSize(501).doesNotContain(1_000_000_000_000L);
        metric(501);
        metric(502, Double.NaN);
        assertThat(processed).endsWith(501L, 502L); // not held back: the NaN reaches the detectors now
        metric(503);
        assertThat(refused).singleElement().asString().startsWith("1000000000000: step 1000000000000 jumped "
                + "999999999500 steps ahead of step 500 (limit 1100").contains("old pace for 3 records");
        assertThat(state.held).isEmpty();
        assertThat(state.newestStep).isEqualTo(503);
        steps(504, 600, 1);
        assertThat(processed).doesNotContain(1_000_000_000_000L).hasSize(501 + 100);
    }

    @Test
    void aRealJumpWithoutAStartEventIsConfirmedByTheRecordsThatContinueFromIt() {
        steps(0, 100, 1);
        metric(50_000);
        metric(50_001);
        metric(50_002);
        assertThat(processed).hasSize(101);
        metric(50_003);
        assertThat(processed.subList(101, processed.size())).containsExactly(50_000L, 50_001L, 50_002L, 50_003L);
        assertThat(refused).isEmpty();
        metric(50_004);
        assertThat(processed).endsWith(50_004L);
    }

    @Test
    void aResumeFromALaterCheckpointAfterAStartEventPassesAtOnce() {
        steps(0, 100, 1);
        event(RunEvent.start("r", 200_000, new RunConfig(null, null, null, null, null, 80_000L, Map.of())));
        metric(80_001);
        assertThat(processed).endsWith(-1L, 80_001L);
        assertThat(state.held).isEmpty();
    }

    @Test
    void aFreshStartForgetsTheNewestStep() {
        steps(0, 100, 1);
        event(RunEvent.start("r", 200_000, RunConfig.EMPTY));
        metric(7_000_000);
        assertThat(processed).endsWith(7_000_000L);
    }

    @Test
    void sparseLoggingAndAChangingLogIntervalPass() {
        steps(0, 20_000, 1_000); // every 1000 steps from the start: within the margin
        steps(20_010, 21_000, 10); // then every 10
        steps(21_500, 100_000, 500); // then every 500: 500 <= 100 x 10 + 1000
        assertThat(refused).isEmpty();
        assertThat(state.held).isEmpty();
        assertThat(processed).hasSize(21 + 100 + 158);
    }

    @Test
    void aRunLoggedVerySparselyFromItsStartIsDelayedByThreeRecordsOnly() {
        steps(0, 50_000, 5_000);
        assertThat(refused).isEmpty();
        assertThat(processed).containsExactly(0L, 5_000L, 10_000L, 15_000L, 20_000L, 25_000L, 30_000L, 35_000L,
                40_000L, 45_000L, 50_000L);
    }

    @Test
    void aCheckpointAtTheSuspectStepConfirmsItAndAnEndRefusesIt() {
        steps(0, 100, 1);
        metric(90_000);
        event(RunEvent.checkpoint("r", 90_000, 1));
        assertThat(processed).endsWith(90_000L, -1L);

        metric(90_001);
        metric(9_000_000);
        event(RunEvent.end("r", 90_001, 2, "completed"));
        assertThat(refused).singleElement().asString().contains("ended before the jump was confirmed");
    }

    @Test
    void aSecondImplausibleJumpRefusesTheFirstAndIsHeldInstead() {
        steps(0, 100, 1);
        metric(5_000_000);
        metric(70_000);
        assertThat(refused).singleElement().asString().startsWith("5000000:").contains("a different jump");
        steps(70_001, 70_003, 1);
        assertThat(processed).endsWith(70_000L, 70_001L, 70_002L, 70_003L);
    }

    @Test
    void lateRecordsAndRewindsPassAndARewindMovesTheNewestStep() {
        steps(0, 1_000, 1);
        metric(998); // late
        assertThat(state.newestStep).isEqualTo(1_000);
        metric(200); // a restart from a checkpoint
        assertThat(state.newestStep).isEqualTo(200);
        metric(201);
        assertThat(refused).isEmpty();
        assertThat(processed).endsWith(998L, 200L, 201L);
    }

    @Test
    void theStateStaysSmallWhateverComes() {
        for (long s = 0; s < 10_000; s++) {
            metric(s % 7 == 0 ? s * 1_000_000 : s);
            assertThat(state.held.size()).isLessThanOrEqualTo(4);
            assertThat(state.recentIncrements.size()).isLessThanOrEqualTo(StepGuardState.RECENT_INCREMENTS);
        }
    }

    @Test
    void expiryRefusesWhatIsStillHeld() {
        steps(0, 10, 1);
        metric(1_000_000);
        assertThat(guard.expire(state)).singleElement().extracting(GuardDecision.Refused::detail).asString()
                .contains("went silent");
        assertThat(state.held).isEmpty();
    }
}
