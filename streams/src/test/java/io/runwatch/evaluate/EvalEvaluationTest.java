package io.runwatch.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.runwatch.config.Settings;
import io.runwatch.core.RunInput;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Quality regression guard for the evals detectors on the seeded synthetic suite. On this seed the issue's
 * targets hold (recall 0.952 for drops ≥ 5 noise units, no drop under 2 alerted); over six seeds they do not
 * (0.929, 7/254; see the README evals section for why both cannot hold at one threshold). The bounds pin what
 * is reached so that it cannot silently get worse.
 */
class EvalEvaluationTest {

    @Test
    void syntheticSuiteMeetsTheQualityBar() {
        SyntheticEvalSuite.Suite suite = SyntheticEvalSuite.generate(EvalEvaluation.SYNTHETIC_SEED,
                EvalEvaluation.SYNTHETIC_RUNS, false);
        EvalEvaluation.SyntheticScore ours = EvalEvaluation.scoreSynthetic(suite,
                new MonitorDetection(Settings.defaults()).detect(suite.inputs()));
        EvalEvaluation.SyntheticScore baseline = EvalEvaluation.scoreSynthetic(suite,
                new EvalBaselineDetection().detect(suite.inputs()));

        assertThat(ours.bigRecall()).isGreaterThanOrEqualTo(0.95);
        assertThat(ours.smallAlerted()).isZero();
        assertThat(ours.falseAlerts()).isLessThanOrEqualTo(8);
        assertThat(ours.stuckAlerts()).isZero();
        assertThat(ours.stuckNoisy()).isEqualTo(ours.stuck());
        assertThat(ours.falseAlerts() * 50).isLessThan(baseline.falseAlerts()); // fewer by a wide margin
    }

    /**
     * The flaky rule on the real runs of {@code ../shared} (skipped where they are absent): fewer repeated
     * eval_regression tickets, and none of the hindsight-labelled sustained declines lost.
     */
    @Test
    void flakyBenchmarksOpenFewerTicketsOnTheRealRuns() {
        Path shared = Evaluate.sharedData();
        assumeTrue(shared != null, "../shared/data not present");
        List<RunInput> real = EvalRealData.load(shared.resolve("data/evals"));
        EvalEvaluation.RealScore without = EvalEvaluation.scoreReal(EvalRealData.labels(),
                new MonitorDetection(Settings.defaults().with(Settings.EVAL_FLAKY_EPISODES, 0)).detect(real));
        EvalEvaluation.RealScore with = EvalEvaluation.scoreReal(EvalRealData.labels(),
                new MonitorDetection(Settings.defaults()).detect(real));

        assertThat(without.totalTickets()).isGreaterThan(with.totalTickets());
        // 137 before gross drops were exempt from every class (evals.never.mute.z), 173 after; 150 since a gross
        // drop of a benchmark that swings beyond its sampling error must also beat its own swing; 135 since an
        // episode closes after two checkpoints back (evals.regression.resolve.checkpoints) and bits per byte are
        // judged against a 0.5 % floor (evals.noise.floor.relative). Target: no more than 137.
        assertThat(with.totalTickets()).isLessThanOrEqualTo(135);
        assertThat(with.maxTicketsPerRun()).isLessThanOrEqualTo(29); // olmo2-7B
        assertThat(with.byLabel().get("sustained_decline")[1]).isGreaterThanOrEqualTo(19); // of 20
        assertThat(with.byLabel().get("sustained_decline")[1]).isEqualTo(without.byLabel().get("sustained_decline")[1]);
        // One: BigScience tr3e sst falls from 0.65 (8 sampling errors above its majority rate 0.51) to 0.53 at
        // step 24000, a catastrophic drop by evals.catastrophic.chance.share that the hindsight labeller, whose
        // sigma is the whole run's swing, calls at chance.
        assertThat(with.byLabel().get("at_chance")[1]).isLessThanOrEqualTo(1);
    }
}
