package io.runwatch.core.evals;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.core.EvalPoint;
import org.junit.jupiter.api.Test;

class NoisyClassifierTest {
    private static final int ITEMS = 1_267; // winogrande: chance 0.5, sampling error ≈ 0.014 at 0.54
    private final EvalSettings settings = EvalSettings.defaults();
    private final NoisyClassifier classifier = new NoisyClassifier(settings, new TrajectoryAnalysis(settings));

    /**
     * A slow learner 3 sampling errors above chance (0.54) that fell to 0.45 over the newest {@code fallen} of
     * 12 checkpoints; no trend over the run (Kendall's sum 0), so only the level decides the class.
     */
    private static TrajectoryState slowLearnerThatFell(int fallen) {
        TrajectoryState t = new TrajectoryState();
        t.run = "r1";
        t.benchmark = "winogrande";
        t.metric = "acc";
        t.items = ITEMS;
        for (int i = 0; i < 12; i++) {
            TrajectoryState.Checkpoint c = new TrajectoryState.Checkpoint((i + 1) * 1_000L);
            c.scores.add(i >= 12 - fallen ? 0.45 : 0.54 + (i % 2 == 0 ? 0.004 : -0.004));
            t.recent.add(c);
        }
        t.checkpointsSeen = 12;
        return t;
    }

    private static EvalPoint newest(TrajectoryState t) {
        return new EvalPoint("r1", t.recent.get(t.recent.size() - 1).step, "winogrande", "acc", 0.45, null, ITEMS,
                null, null, null, 0, true);
    }

    @Test
    void aDropOfHalfTheWindowDoesNotClassABenchmarkAboveChanceNoisy() {
        // Results arrive out of order: six checkpoints of a drop can be in before its first is tested. Their
        // weight pulls the window's median to chance (0.493), its older half's still says 0.54.
        TrajectoryState t = slowLearnerThatFell(6);

        assertThat(classifier.update(t, newest(t))).isNull();
        assertThat(t.noisy).isFalse();
    }

    @Test
    void aFormatSaidUnstableIsJudgedOnTheWindowsMedianAlone() {
        // Its swings are what the class is for: a high swing in the older half must not lift it.
        TrajectoryState t = slowLearnerThatFell(6);
        t.unstableAlertId = "r1/winogrande:acc/eval_noisy/unstable";

        assertThat(classifier.update(t, newest(t))).isNotNull();
        assertThat(t.noisy).isTrue();
    }

    @Test
    void aBenchmarkAtChanceOverTheWholeWindowIsClassed() {
        TrajectoryState t = slowLearnerThatFell(12);
        for (TrajectoryState.Checkpoint c : t.recent) {
            c.scores.set(0, 0.5 + (c.step % 2000 == 0 ? 0.004 : -0.004));
        }

        assertThat(classifier.update(t, newest(t))).isNotNull();
        assertThat(t.noisy).isTrue();
    }
}
