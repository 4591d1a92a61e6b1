package io.runwatch.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.config.Settings;
import org.junit.jupiter.api.Test;

/**
 * Quality regression guard for the evals detectors on the seeded synthetic suite. The recall target
 * (0.95 for drops ≥ 5 noise units) is not reached yet (0.933 on this seed, 0.910 over six): multi-checkpoint
 * drops on the steep early part of a curve are still measured against a trend whose own uncertainty is 1.5
 * noise units (see the README evals section). The bounds pin what is reached (unchanged by the
 * recency-weighted empirical noise) so that it cannot silently get worse.
 */
class EvalEvaluationTest {

    @Test
    void syntheticSuiteMeetsTheQualityBar() {
        SyntheticEvalSuite.Suite suite = SyntheticEvalSuite.generate(EvalEvaluation.SYNTHETIC_SEED,
                EvalEvaluation.SYNTHETIC_RUNS);
        EvalEvaluation.SyntheticScore ours = EvalEvaluation.scoreSynthetic(suite,
                new MonitorDetection(Settings.defaults()).detect(suite.inputs()));
        EvalEvaluation.SyntheticScore baseline = EvalEvaluation.scoreSynthetic(suite,
                new EvalBaselineDetection().detect(suite.inputs()));

        assertThat(ours.bigRecall()).isGreaterThanOrEqualTo(0.93);
        assertThat(ours.smallAlerted()).isLessThanOrEqualTo(1);
        assertThat(ours.falseAlerts()).isLessThanOrEqualTo(7);
        assertThat(ours.stuckAlerts()).isZero();
        assertThat(ours.stuckNoisy()).isEqualTo(ours.stuck());
        assertThat(ours.falseAlerts() * 50).isLessThan(baseline.falseAlerts()); // fewer by a wide margin
    }
}
