package io.runwatch.core.evals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertState;
import io.runwatch.core.AlertType;
import io.runwatch.core.EvalPoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * eval_co_drop: the falls of a training event (several benchmarks, one checkpoint) against one benchmark falling
 * alone, and many benchmarks each falling by less than their own alert threshold.
 */
class CoDropDetectorTest {
    private static final int ITEMS = 2376;
    private static final double SIGMA = Math.sqrt(0.6 * 0.4 / ITEMS); // binomial error at 0.60, ≈ 0.01
    /** Twelve catalogued benchmarks, all well above chance at 0.60 (so none is classed noise). */
    private static final List<String> BENCHMARKS = List.of("arc_easy", "arc_challenge", "mmlu", "sciq", "openbookqa",
            "race", "mathqa", "logiqa", "hellaswag", "csqa", "socialiqa", "lambada");
    private static final int CHECKPOINTS = 40;
    private static final int EVENT = 30;

    private final EvalMonitor monitor = new EvalMonitor(EvalSettings.defaults());

    // ---- the rule alone --------------------------------------------------------------------------------------

    @Test
    void binomialTailMatchesTheExactSum() {
        assertThat(CoDropDetector.binomialTail(8, 10, 0.5)).isCloseTo(56.0 / 1024, within(1e-12));
        assertThat(CoDropDetector.binomialTail(0, 10, 0.3)).isEqualTo(1.0);
        assertThat(CoDropDetector.binomialTail(11, 10, 0.3)).isEqualTo(0.0);
        assertThat(CoDropDetector.binomialTail(3, 3, 0.1)).isCloseTo(0.001, within(1e-12));
    }

    @Test
    void severalBenchmarksFallingAtOneCheckpointIsACoDropEvenWhenNoneWouldAlertAlone() {
        // 4 of 12 benchmarks 4 noise units down: under a 50-checkpoint run's single threshold (≈ 3.7 plus the
        // expectation's own error), far beyond what independent noise does to four at once.
        double[] z = {4.1, 4.0, 3.9, 4.2, 0.3, -0.5, 0.8, -1.1, 0.2, 0.0, -0.3, 0.6};
        CoDropDetector.Verdict verdict = CoDropDetector.test(z, 50, 0.01, 3);
        assertThat(verdict.isCoDrop()).isTrue();
        assertThat(verdict.fell()).isEqualTo(4);
        assertThat(verdict.level()).isEqualTo(4.0);
        assertThat(verdict.pValue()).isLessThan(verdict.pThreshold());
    }

    @Test
    void oneBenchmarkFallingAloneIsNotACoDropHoweverFar() {
        double[] z = {12.0, 0.3, -0.5, 0.8, -1.1, 0.2, 0.0, -0.3, 0.6, 0.4, -0.2, 0.1};
        assertThat(CoDropDetector.test(z, 50, 0.01, 3).isCoDrop()).isFalse();
        // Two far falls are short of evals.co.drop.benchmarks: two benchmarks can share a harness bug.
        double[] two = {9.0, 8.0, -0.5, 0.8, -1.1, 0.2, 0.0, -0.3, 0.6, 0.4, -0.2, 0.1};
        CoDropDetector.Verdict pair = CoDropDetector.test(two, 50, 0.01, 3);
        assertThat(pair.fell()).isEqualTo(2);
        assertThat(pair.isCoDrop()).isFalse();
    }

    @Test
    void manySmallFallsAreACoDropWhenTheirCountIsSignificant() {
        // 9 of 12 benchmarks fell 1.5 noise units: none near any alert threshold, together p ≈ 1e-6.
        double[] many = {1.5, 1.6, 1.4, 1.5, 1.7, 1.5, 1.3, 1.6, 1.5, -0.2, 0.1, 0.4};
        CoDropDetector.Verdict verdict = CoDropDetector.test(many, 50, 0.01, 3);
        assertThat(verdict.isCoDrop()).isTrue();
        assertThat(verdict.level()).isEqualTo(1.0);
        // Four of twelve doing so is what noise does at a checkpoint now and then (p ≈ 0.1).
        double[] few = {1.5, 1.6, 1.4, 1.5, -0.7, 0.5, 0.3, -1.6, 0.5, -0.2, 0.1, 0.4};
        assertThat(CoDropDetector.test(few, 50, 0.01, 3).isCoDrop()).isFalse();
    }

    @Test
    void theBudgetIsSpreadOverTheRunsCheckpoints() {
        double[] z = {3.2, 3.1, 3.3, 0.3, -0.5, 0.8, -1.1, 0.2, 0.0, -0.3, 0.6, 0.4};
        assertThat(CoDropDetector.test(z, 10, 0.01, 3).isCoDrop()).isTrue();
        assertThat(CoDropDetector.test(z, 1_000, 0.01, 3).isCoDrop()).isFalse();
    }

    // ---- through the monitor ---------------------------------------------------------------------------------

    /** Feeds a run as the topology does (one state per trajectory), checkpoint by checkpoint. */
    private final class Run {
        final EvalRunState state = new EvalRunState();
        final Map<String, TrajectoryState> trajectories = new HashMap<>();
        final List<Alert> alerts = new ArrayList<>();
        TrainingEpisodes episodes = TrainingEpisodes.NONE;

        void feed(EvalPoint p) {
            alerts.addAll(monitor.onEval(state, trajectories.computeIfAbsent(p.trajectoryKey(),
                    k -> new TrajectoryState()), p, episodes).alerts());
        }

        List<Alert> of(AlertType type) {
            return alerts.stream().filter(a -> a.type() == type).toList();
        }
    }

    /**
     * Twelve benchmarks on plateaus at 0.60 with binomial noise, each from its own seed; at checkpoint {@code EVENT}
     * (step 31,000) the first {@code fallen} benchmarks fall {@code sigmas} binomial errors, and recover after
     * {@code lasting} checkpoints.
     */
    private Run run(long seed, int fallen, double sigmas, int lasting) {
        Run run = new Run();
        List<Random> noise = new ArrayList<>();
        for (int b = 0; b < BENCHMARKS.size(); b++) {
            noise.add(new Random(seed * 100 + b));
        }
        return feed(run, noise, fallen, sigmas, lasting);
    }

    private Run feed(Run run, List<Random> noise, int fallen, double sigmas, int lasting) {
        for (int i = 0; i < CHECKPOINTS; i++) {
            for (int b = 0; b < BENCHMARKS.size(); b++) {
                boolean falls = b < fallen && i >= EVENT && i < EVENT + lasting;
                double value = 0.60 + (noise.get(b).nextGaussian() - (falls ? sigmas : 0)) * SIGMA;
                run.feed(new EvalPoint("r1", (i + 1) * 1000L, BENCHMARKS.get(b), "acc", value, null, ITEMS, null,
                        null, null, (i + 1) * 60_000L, true));
            }
        }
        return run;
    }

    @Test
    void aTrainingEventIsOneRunLevelTicketNamingTheCheckpointAndTheBenchmarks() {
        Run run = run(1, 5, 5, 2);

        List<Alert> coDrops = run.of(AlertType.eval_co_drop);
        assertThat(coDrops).extracting(Alert::state).containsExactly(AlertState.firing, AlertState.resolved);
        Alert firing = coDrops.get(0);
        assertThat(firing.step()).isEqualTo(31_000L);
        assertThat(firing.id()).isEqualTo("r1/eval_co_drop/31000");
        assertThat(firing.benchmark()).isNull();
        assertThat(firing.severity().name()).isEqualTo("ticket");
        assertThat(firing.rollbackToStep()).isEqualTo(30_000L);
        @SuppressWarnings("unchecked")
        List<String> named = (List<String>) firing.details().get("benchmarks");
        // All five that fell, listed first (largest falls first); a benchmark that merely wobbled 1 unit may follow.
        assertThat(named.subList(0, 5)).containsExactlyInAnyOrderElementsOf(BENCHMARKS.subList(0, 5));
        assertThat(firing.summary()).contains("fell together at the checkpoint of step 31000")
                .contains("no loss spike");
        assertThat(coDrops.get(1).id()).isEqualTo(firing.id());
        assertThat(coDrops.get(1).detectedAtStep()).isEqualTo(33_000L); // the recovery, two checkpoints later
    }

    @Test
    void theLossSpikeBetweenTheTwoCheckpointsIsNamed() {
        Run run = new Run();
        run.episodes = r -> List.of(
                new TrainingEpisode("r1/loss_spike/20500", "loss_spike", 20_500, 20_600L), // long before
                new TrainingEpisode("r1/loss_spike/30400", "loss_spike", 30_400, 30_700L),
                new TrainingEpisode("r1/loss_spike/31200", "loss_spike", 31_200, null)); // after the checkpoint
        List<Random> noise = new ArrayList<>();
        for (int b = 0; b < BENCHMARKS.size(); b++) {
            noise.add(new Random(100 + b));
        }
        feed(run, noise, 5, 5, 2);

        Alert firing = run.of(AlertType.eval_co_drop).get(0);
        assertThat(firing.relatedId()).isEqualTo("r1/loss_spike/30400");
        assertThat(firing.details()).containsEntry("lossSpikeId", "r1/loss_spike/30400")
                .containsEntry("lossSpikeOnsetStep", 30_400L);
        assertThat(firing.summary()).contains("loss spike episode at step 30400");
    }

    @Test
    void aSpikeStillRecoveringWhenTheCheckpointWasSavedCounts() {
        List<TrainingEpisode> episodes = List.of(new TrainingEpisode("r1/loss_spike/29000", "loss_spike", 29_000, null),
                new TrainingEpisode("r1/loss_spike/25000", "loss_spike", 25_000, 26_000L));
        assertThat(CoDropDetector.spikeBetween(episodes, 30_000, 31_000).id()).isEqualTo("r1/loss_spike/29000");
        assertThat(CoDropDetector.spikeBetween(episodes.subList(1, 2), 30_000, 31_000)).isNull();
    }

    @Test
    void oneBenchmarkFallingAloneIsItsOwnRegressionAndNoCoDrop() {
        Run run = run(1, 1, 10, 2);

        assertThat(run.of(AlertType.eval_co_drop)).isEmpty();
        assertThat(run.of(AlertType.eval_regression)).filteredOn(Alert::isFiring)
                .extracting(Alert::benchmark).contains("arc_easy");
    }

    @Test
    void manyBenchmarksFallingLessThanTheirThresholdsAreOneCoDrop() {
        Run run = run(1, 10, 2, 2);

        assertThat(run.of(AlertType.eval_co_drop)).filteredOn(Alert::isFiring).singleElement()
                .satisfies(a -> assertThat(a.step()).isEqualTo(31_000L));
        // Of the ten 2-sigma falls, at most the one that noise pushed furthest passes eval_regression's own test.
        assertThat(run.of(AlertType.eval_regression)).filteredOn(a -> a.isFiring() && a.step() == 31_000L)
                .hasSizeLessThanOrEqualTo(1);
    }

    @Test
    void noiseAloneRaisesNoCoDrop() {
        int coDrops = 0;
        for (long seed = 1; seed <= 10; seed++) {
            coDrops += run(seed, 0, 0, 0).of(AlertType.eval_co_drop).size();
        }
        assertThat(coDrops).isZero();
    }

    @Test
    void aDropThatStaysKeepsTheTicketOpen() {
        Run run = run(2, 5, 6, CHECKPOINTS);

        assertThat(run.of(AlertType.eval_co_drop)).extracting(Alert::state).containsExactly(AlertState.firing);
        assertThat(run.state.coDrop).isNotNull();
    }

    @Test
    void evalAlertsCarryTheBenchmarksCapabilityAsTheirGroup() {
        Run run = run(1, 1, 10, 2);

        assertThat(run.of(AlertType.eval_regression)).isNotEmpty().allSatisfy(a -> {
            assertThat(a.benchmark()).isEqualTo("arc_easy");
            assertThat(a.group()).isEqualTo("knowledge");
        });
    }
}
