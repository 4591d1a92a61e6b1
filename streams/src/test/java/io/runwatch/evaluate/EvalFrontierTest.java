package io.runwatch.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.runwatch.config.Settings;
import io.runwatch.evaluate.EvalEvaluation.SyntheticScore;
import io.runwatch.evaluate.EvalFrontier.Rule;
import io.runwatch.evaluate.SyntheticEvalSuite.Suite;
import io.runwatch.evaluate.SyntheticEvalSuite.Truth;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The oracle of {@link EvalFrontier} on the pinned seed of the widened suite. */
class EvalFrontierTest {
    private static final Suite SUITE = SyntheticEvalSuite.generate(EvalEvaluation.SYNTHETIC_SEED,
            EvalEvaluation.SYNTHETIC_RUNS);
    private static final Map<String, double[]> RESIDUALS = EvalFrontier.residuals(SUITE);

    private static SyntheticScore oracle(Rule rule, double t) {
        return EvalEvaluation.scoreSynthetic(SUITE, EvalFrontier.oracleAlerts(SUITE, RESIDUALS, rule, t));
    }

    @Test
    void studentTMatchesItsKnownQuantilesAndInverts() {
        // robust sigma 1: the quartile sits at 0.6745; an unscaled t(7) has 1 % beyond 2.998 (here 2.998 / 1.054)
        assertThat(EvalFrontier.tDistribution7(1 / 1.4826)).isCloseTo(0.75, within(1e-4));
        assertThat(EvalFrontier.tDistribution7(-2.998 * SyntheticEvalSuite.TAIL_SCALE)).isCloseTo(0.01, within(1e-4));
        assertThat(EvalFrontier.tDistribution7(0)).isEqualTo(0.5);
        assertThat(EvalFrontier.tailQuantile7(EvalFrontier.tDistribution7(-4.5))).isCloseTo(4.5, within(1e-9));
    }

    @Test
    void residualsOfUndroppedCheckpointsHaveRobustSigmaOne() {
        List<Double> magnitudes = new ArrayList<>();
        for (Truth truth : SUITE.truths().values()) {
            if (truth.kind().equals("RISING") && truth.drops().isEmpty()) {
                Arrays.stream(RESIDUALS.get(truth.key())).forEach(r -> magnitudes.add(Math.abs(r)));
            }
        }
        double robustSigma = 1.4826 * magnitudes.stream().sorted().toList().get(magnitudes.size() / 2);

        assertThat(magnitudes.size()).isGreaterThan(10_000);
        assertThat(robustSigma).isBetween(0.93, 1.07); // noise scale as drawn (rounding to k/n adds a little)
    }

    @Test
    void oracleFindsLessAsTheThresholdRisesAndNothingAtInfinity() {
        for (Rule rule : Rule.values()) {
            SyntheticScore previous = null;
            for (double t : EvalFrontier.THRESHOLDS) {
                SyntheticScore s = oracle(rule, t);
                if (previous != null) {
                    assertThat(s.singleFound()).isLessThanOrEqualTo(previous.singleFound());
                    assertThat(s.confirmedFound()).isLessThanOrEqualTo(previous.confirmedFound());
                    assertThat(s.smallAlerted()).isLessThanOrEqualTo(previous.smallAlerted());
                    assertThat(s.smoothAlerted()).isLessThanOrEqualTo(previous.smoothAlerted());
                }
                previous = s;
            }
            assertThat(EvalFrontier.oracleAlerts(SUITE, RESIDUALS, rule, Double.POSITIVE_INFINITY)).isEmpty();
            assertThat(previous.singleFound() + previous.confirmedFound() + previous.smoothAlerted()).isZero();
        }
        // and at a low threshold it finds nearly every big drop
        assertThat(oracle(Rule.EITHER, 3).singleRecall()).isGreaterThan(0.95);
        assertThat(oracle(Rule.EITHER, 3).confirmedRecall()).isGreaterThan(0.98);
    }

    @Test
    void oracleIsNeverWorseThanRunwatchAtRunwatchsOwnSmoothAlerts() {
        // the seed's first 16 runs (the same draws as in the 40-run suite), to keep runwatch's part short
        Suite suite = SyntheticEvalSuite.generate(EvalEvaluation.SYNTHETIC_SEED, 16);
        Map<String, double[]> residuals = EvalFrontier.residuals(suite);
        SyntheticScore runwatch = EvalFrontier.runwatch(Settings.defaults(), List.of(suite));
        // the lowest threshold at which the oracle alerts on no more smooth trajectories than runwatch does
        SyntheticScore oracle = null;
        for (double t : EvalFrontier.THRESHOLDS) {
            SyntheticScore s = EvalEvaluation.scoreSynthetic(suite,
                    EvalFrontier.oracleAlerts(suite, residuals, Rule.EITHER, t));
            if (s.smoothAlerted() <= runwatch.smoothAlerted()) {
                oracle = s;
                break;
            }
        }

        assertThat(oracle).isNotNull();
        assertThat(oracle.singleFound()).isGreaterThanOrEqualTo(runwatch.singleFound());
        assertThat(oracle.confirmedFound()).isGreaterThanOrEqualTo(runwatch.confirmedFound());
        assertThat(runwatch.smoothAlerted()).isPositive(); // else the comparison above would be vacuous
    }
}
