package io.runwatch.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.config.Settings;
import org.junit.jupiter.api.Test;

/**
 * Issue 13's checkpoint-evaluation targets on the widened synthetic suite (Student-t(7) noise, gross drops,
 * unstable formats, late learners) over eight seeds, as {@code EvalEvaluation --seeds 8} prints them (about 35 s
 * of CPU). The targets are single-checkpoint 5-sigma recall ≥ 0.93, ≥ 0.98 on drops confirmed by a second
 * checkpoint, ≤ 3 % of sub-2-sigma dips alerted and no alert on smooth or at-chance trajectories; under this noise
 * they conflict (README, "Checkpoint evaluations": {@code --tail-sweep}), so the bounds pin what the default
 * (Gaussian thresholds, gross drops beyond an unstable format's own swing) reaches, and fail when it gets worse.
 */
class EvalWidenedEvaluationTest {
    private static final int SEEDS = 8;

    @Test
    void widenedSuiteHoldsWhatIsReachedOverEightSeeds() {
        EvalEvaluation.SyntheticScore s = EvalEvaluation.pooled(new MonitorDetection(Settings.defaults()), SEEDS);

        assertThat(s.singleRecall()).isGreaterThanOrEqualTo(0.86); // 392/452 measured; target 0.93 not met
        assertThat(s.confirmedRecall()).isGreaterThanOrEqualTo(0.911); // 608/666 (598 before issue 13's third pass); target 0.98 not met
        assertThat(s.smallAlerted()).isLessThanOrEqualTo(14); // of 455 (3.1 %); target 3 % (13) not met by one
        assertThat(s.smoothAlerted()).isLessThanOrEqualTo(185); // of 1132; target 0 not met
        assertThat(s.stuckAlerts()).isLessThanOrEqualTo(1); // target 0: one binary flip ticketed before its class
        assertThat(s.falseAlerts()).isLessThanOrEqualTo(821); // 2,444 before gross drops had to beat the swing, 820 before the level floor
        assertThat(s.grossFound()).isGreaterThanOrEqualTo(246); // of 284: perplexity x3 early, MC format to chance
        assertThat(s.unstableSaid()).isGreaterThan(s.unstable() / 2);
    }
}
