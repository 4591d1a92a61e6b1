package io.runwatch.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.config.Settings;
import org.junit.jupiter.api.Test;

/**
 * Quality regression guard for the evals detectors on the seeded synthetic suite. The recall target
 * (0.95 for drops ≥ 5 noise units) is not reached yet (0.865): single-checkpoint drops on long runs face a
 * threshold near 4 noise units, and drops on the steep early part of a curve are measured against a trend
 * whose own uncertainty is 1.5 noise units (see docs/evals.md). The bounds pin what is reached so that it
 * cannot silently get worse.
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

        assertThat(ours.bigRecall()).isGreaterThanOrEqualTo(0.86);
        assertThat(ours.smallAlerted()).isLessThanOrEqualTo(1);
        assertThat(ours.falseAlerts()).isLessThanOrEqualTo(10);
        assertThat(ours.stuckAlerts()).isZero();
        assertThat(ours.stuckNoisy()).isEqualTo(ours.stuck());
        assertThat(ours.falseAlerts() * 50).isLessThan(baseline.falseAlerts()); // fewer by a wide margin
    }
}
