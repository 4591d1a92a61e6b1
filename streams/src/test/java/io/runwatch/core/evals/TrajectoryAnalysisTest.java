package io.runwatch.core.evals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class TrajectoryAnalysisTest {
    private final EvalSettings settings = EvalSettings.defaults();
    private final TrajectoryAnalysis analysis = new TrajectoryAnalysis(settings);

    /** A trajectory of the given accuracies, one checkpoint every 1,000 steps from step 1,000. */
    private static TrajectoryState trajectory(double... scores) {
        TrajectoryState t = new TrajectoryState();
        t.benchmark = "sciq";
        t.metric = "acc";
        t.items = 1_000;
        for (int i = 0; i < scores.length; i++) {
            TrajectoryState.Checkpoint c = new TrajectoryState.Checkpoint((i + 1) * 1_000L);
            c.scores.add(scores[i]);
            t.recent.add(c);
        }
        t.checkpointsSeen = scores.length;
        return t;
    }

    /** The steep start of a learning curve: 0.25 → 0.85 at rate 0.35 per checkpoint. */
    private static double[] steepStart(int checkpoints) {
        double[] scores = new double[checkpoints];
        for (int i = 0; i < checkpoints; i++) {
            scores[i] = 0.25 + 0.6 * (1 - Math.exp(-0.35 * i));
        }
        return scores;
    }

    @Test
    void aRisingCurveIsNeverExpectedBelowItsRecentLevel() {
        // The overshoot correction comes from lines fitted on the steeper checkpoints before; applied to the line
        // fitted now it put checkpoint 11 (0.837) at 0.796, under the 0.817 the last four already reached.
        TrajectoryState t = trajectory(steepStart(12));
        double recentLevel = analysis.level(t, 7, 10);

        TrajectoryAnalysis.Expectation expected = analysis.expectation(t, 11, 0.0155);

        assertThat(expected.score()).isCloseTo(recentLevel, within(1e-12));
        assertThat(expected.score()).isLessThan(t.orientedMean(11));
    }

    @Test
    void aTrendThatFlattensGentlyKeepsItsCorrectedLine() {
        // A curve that bends slowly: the corrected line is above the recent level and is used as it is, an
        // expectation close to the true score.
        double[] scores = new double[17];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = 0.40 + 0.01 * i - 0.0001 * i * i;
        }
        TrajectoryState t = trajectory(scores);
        double recentLevel = analysis.level(t, 12, 15);

        TrajectoryAnalysis.Expectation expected = analysis.expectation(t, 16, 0.002);

        assertThat(expected.slopePerStep()).isPositive();
        assertThat(expected.score()).isGreaterThan(recentLevel + 0.01);
        assertThat(expected.score()).isCloseTo(t.orientedMean(16), within(0.001));
    }
}
