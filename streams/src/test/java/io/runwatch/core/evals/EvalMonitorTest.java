package io.runwatch.core.evals;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.contract.Json;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertState;
import io.runwatch.core.AlertType;
import io.runwatch.core.EvalPoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

class EvalMonitorTest {
    private static final int ITEMS = 2376;
    private static final double SIGMA = Math.sqrt(0.6 * 0.4 / ITEMS); // ≈ 0.01

    private final EvalMonitor monitor = new EvalMonitor(EvalSettings.defaults());
    /** The tail-aware noise model at the prior fitted on the real tables, whatever the default. */
    private static final EvalSettings TAIL_AWARE = io.runwatch.config.Settings.defaults()
            .with(io.runwatch.config.Settings.EVAL_TAIL_DOF, 8.0).evals();

    /** Feeds points and keeps per-trajectory state as the topology does. */
    private final class Run {
        final EvalRunState state = new EvalRunState();
        final Map<String, TrajectoryState> trajectories = new HashMap<>();
        final List<Alert> alerts = new ArrayList<>();
        final EvalMonitor by;
        EvalOutcome last;

        Run() {
            this(monitor);
        }

        Run(EvalMonitor by) {
            this.by = by;
        }

        EvalOutcome feed(EvalPoint p) {
            last = by.onEval(state, trajectories.computeIfAbsent(p.trajectoryKey(), k -> new TrajectoryState()), p);
            alerts.addAll(last.alerts());
            return last;
        }

        List<Alert> of(AlertType type) {
            return alerts.stream().filter(a -> a.type() == type).toList();
        }
    }

    private static EvalPoint acc(String benchmark, long step, double value) {
        return new EvalPoint("r1", step, benchmark, "acc", value, null, ITEMS, null, null, null, step * 10, true);
    }

    /** A plateau at 0.60 with binomial-sized noise from a fixed seed; drops shift chosen checkpoints. */
    private static List<EvalPoint> plateau(String benchmark, int checkpoints, Map<Integer, Double> dropsInSigma) {
        Random random = new Random(7);
        List<EvalPoint> points = new ArrayList<>();
        for (int i = 0; i < checkpoints; i++) {
            double value = 0.60 + random.nextGaussian() * SIGMA - dropsInSigma.getOrDefault(i, 0.0) * SIGMA;
            points.add(acc(benchmark, (i + 1) * 1000L, value));
        }
        return points;
    }

    @Test
    void aBinaryFlipDuringARunThatLooksSkilledIsReportedAsAnArtefact() {
        Run run = new Run();
        Random random = new Random(2);
        for (int i = 0; i < 30; i++) { // hovers just under the majority rate, tau drifting up
            double value = i < 20 ? 0.60 + i * 0.001 + random.nextGaussian() * 0.004 : 0.378;
            run.feed(new EvalPoint("r1", (i + 1) * 1000L, "boolq", "acc", value, null, 3270, null, null, null, i,
                    true));
        }

        assertThat(run.of(AlertType.eval_regression)).isEmpty();
        assertThat(run.of(AlertType.eval_noisy)).hasSize(1);
    }

    @Test
    void aLargeDropFiresOnceAndResolvesWhenTheScoreRecovers() {
        Run run = new Run();
        plateau("arc_easy", 40, Map.of(30, 8.0, 31, 8.0)).forEach(run::feed);

        List<Alert> regressions = run.of(AlertType.eval_regression);
        assertThat(regressions).extracting(Alert::state).containsExactly(AlertState.firing, AlertState.resolved);
        Alert firing = regressions.get(0);
        assertThat(firing.step()).isEqualTo(31_000L);
        assertThat(regressions.get(1).id()).isEqualTo(firing.id());
        // back at 33000 and 34000: two checkpoints in a row (evals.regression.resolve.checkpoints) close it
        assertThat(regressions.get(1).detectedAtStep()).isEqualTo(34_000L);
        assertThat((double) firing.details().get("z")).isGreaterThan(firing.threshold());
        assertThat((double) firing.details().get("noise")).isBetween(0.5 * SIGMA, 2 * SIGMA);
        assertThat(firing.details()).containsKeys("referenceStep", "dropStep", "drop", "movedTogether");
        assertThat(firing.summary()).contains("arc_easy", "31000", "whether it fell alone is not known");
    }

    @Test
    void aRoutineThreeSigmaWobbleOnALongTrajectoryDoesNotAlert() {
        Run run = new Run();
        plateau("arc_easy", 200, Map.of(150, 3.0, 60, 3.0)).forEach(run::feed);

        assertThat(run.of(AlertType.eval_regression)).isEmpty();
    }

    @Test
    void aModerateDropIsConfirmedByTheNextCheckpoint() {
        Run single = new Run();
        plateau("arc_easy", 60, Map.of(50, 4.0)).forEach(single::feed);
        Run sustained = new Run();
        plateau("arc_easy", 60, Map.of(50, 4.0, 51, 4.0, 52, 4.0)).forEach(sustained::feed);

        assertThat(single.of(AlertType.eval_regression)).isEmpty();
        assertThat(sustained.of(AlertType.eval_regression)).first()
                .satisfies(a -> assertThat(a.details()).containsEntry("test", "confirmed")
                        .containsEntry("confirmedByStep", 52_000L));
    }

    @Test
    void aSlowSustainedDeclineIsFoundByTheLevelTest() {
        Run run = new Run();
        Map<Integer, Double> decline = new HashMap<>();
        for (int i = 30; i < 60; i++) {
            decline.put(i, (i - 30) * 0.25); // 0.25 sigma per checkpoint: no single checkpoint stands out
        }
        plateau("arc_easy", 60, decline).forEach(run::feed);

        assertThat(run.of(AlertType.eval_regression)).isNotEmpty()
                .first().satisfies(a -> assertThat(a.step()).isBetween(30_000L, 60_000L));
    }

    /** A rising accuracy curve with binomial-sized noise from a fixed seed; drops shift chosen checkpoints. */
    /** {@link EvalSettings#defaults()} with a one-checkpoint recovery closing an episode, as before issue 13's tickets work. */
    private static final EvalSettings CLOSE_AT_FIRST_BACK = io.runwatch.config.Settings.defaults()
            .with(io.runwatch.config.Settings.EVAL_RESOLVE_CHECKPOINTS, 1).evals();

    @Test
    void aSwingThatIsBackForOneCheckpointAndFallsAgainIsOneTicket() {
        Map<Integer, Double> swing = Map.of(30, 8.0, 32, 8.0); // back at 31 only
        Run held = new Run();
        plateau("arc_easy", 40, swing).forEach(held::feed);
        Run closing = new Run(new EvalMonitor(CLOSE_AT_FIRST_BACK));
        plateau("arc_easy", 40, swing).forEach(closing::feed);

        assertThat(held.of(AlertType.eval_regression)).extracting(Alert::state)
                .containsExactly(AlertState.firing, AlertState.resolved);
        assertThat(held.of(AlertType.eval_regression).get(0).step()).isEqualTo(31_000L);
        assertThat(held.of(AlertType.eval_regression).get(1).details().get("recoveredAtStep")).isEqualTo(35_000L);
        // closed at the first checkpoint back, the same swing opened a second ticket
        assertThat(closing.of(AlertType.eval_regression)).filteredOn(Alert::isFiring).extracting(Alert::step)
                .containsExactly(31_000L, 33_000L);
    }

    @Test
    void aGrossDropAfterTheScoreCameBackIsItsOwnTicketEvenWhileTheEpisodeIsHeld() {
        List<EvalPoint> points = plateau("arc_easy", 40, Map.of(30, 8.0));
        points.set(32, acc("arc_easy", 33_000L, 0.35)); // back at 31, then 25 sampling errors and 71 % of the margin
        Run run = new Run();
        points.forEach(run::feed);

        List<Alert> regressions = run.of(AlertType.eval_regression);
        assertThat(regressions).extracting(Alert::state, Alert::step).containsExactly(
                org.assertj.core.groups.Tuple.tuple(AlertState.firing, 31_000L),
                org.assertj.core.groups.Tuple.tuple(AlertState.resolved, 31_000L),
                org.assertj.core.groups.Tuple.tuple(AlertState.firing, 33_000L),
                org.assertj.core.groups.Tuple.tuple(AlertState.resolved, 33_000L));
        assertThat(regressions.get(1).details().get("recoveredAtStep")).isEqualTo(32_000L); // closed where it was back
        assertThat(regressions.get(2).details().get("test")).isEqualTo("large_drop");
    }

    @Test
    void anEpisodeOpenLongerThanTheHoldClosesAtItsFirstCheckpointBack() {
        Map<Integer, Double> longDrop = new HashMap<>();
        for (int i = 25; i <= 32; i++) {
            longDrop.put(i, 8.0); // eight checkpoints down, then back at 33 and 34
        }
        Run run = new Run();
        plateau("arc_easy", 40, longDrop).forEach(run::feed);

        List<Alert> regressions = run.of(AlertType.eval_regression);
        assertThat(regressions).extracting(Alert::state).containsExactly(AlertState.firing, AlertState.resolved);
        assertThat(regressions.get(1).details().get("recoveredAtStep")).isEqualTo(34_000L);
        assertThat(regressions.get(1).detectedAtStep()).isEqualTo(34_000L);
    }

    @Test
    void aOnePercentWiggleOfASmoothBitsPerByteIsNotATicketAndAFivePercentRiseIs() {
        EvalMonitor oldFloor = new EvalMonitor(io.runwatch.config.Settings.defaults()
                .with(io.runwatch.config.Settings.EVAL_BPB_NOISE_FLOOR, 0.002).evals());
        Run wiggle = new Run();
        Run wiggleOldFloor = new Run(oldFloor);
        Run rise = new Run();
        Random random = new Random(3);
        for (int i = 0; i < 40; i++) {
            // falling slowly, 0.1 % noise: OLMo-2 bits per byte between their swings
            double bpb = 0.90 - 0.0005 * i + random.nextGaussian() * 0.0009;
            for (Run r : List.of(wiggle, wiggleOldFloor, rise)) {
                double bump = i == 30 ? (r == rise ? 1.05 : 1.012) : 1;
                r.feed(new EvalPoint("r1", (i + 1) * 1000L, "piqa", "bpb", bpb * bump, null, null, null, null, null,
                        i, false));
            }
        }

        assertThat(wiggle.of(AlertType.eval_regression)).isEmpty();
        assertThat(wiggleOldFloor.of(AlertType.eval_regression)).filteredOn(Alert::isFiring)
                .extracting(Alert::step).containsExactly(31_000L); // what the accuracies' 0.002 made of it
        assertThat(rise.of(AlertType.eval_regression)).filteredOn(Alert::isFiring)
                .extracting(Alert::step).containsExactly(31_000L);
    }

    private static List<EvalPoint> rising(int checkpoints, IntToDoubleFunction truth,
                                          Map<Integer, Double> dropsInSigma) {
        Random random = new Random(5);
        List<EvalPoint> points = new ArrayList<>();
        for (int i = 0; i < checkpoints; i++) {
            double value = truth.applyAsDouble(i) + (random.nextGaussian() - dropsInSigma.getOrDefault(i, 0.0)) * SIGMA;
            points.add(acc("arc_easy", (i + 1) * 1000L, value));
        }
        return points;
    }

    @Test
    void aDropWhileTheCurveStillRisesIsMeasuredAgainstTheTrend() {
        Run run = new Run();
        // 1.5 sigma per checkpoint: the level of the last four checkpoints lags the curve by almost 4 sigma.
        rising(40, i -> 0.30 + 1.5 * SIGMA * i, Map.of(25, 8.0)).forEach(run::feed);

        List<Alert> regressions = run.of(AlertType.eval_regression);
        assertThat(regressions).isNotEmpty();
        assertThat(regressions.get(0).step()).isEqualTo(26_000L);
        assertThat((double) regressions.get(0).details().get("referenceScore"))
                .isGreaterThan(0.30 + 1.5 * SIGMA * 24); // the trend's expectation, above every earlier score
    }

    @Test
    void aFewCheckpointDipOnTheSteepPartIsFoundOnceTheCurveIsBack() {
        Run run = new Run();
        // Three checkpoints 6 sigma low where the curve still climbs fast: against an extrapolated trend
        // (1.5 sigma uncertain) no single one stands out; their mean against the line through both sides does.
        rising(30, i -> 0.30 + 0.40 * (1 - Math.exp(-0.12 * i)), Map.of(12, 6.0, 13, 6.0, 14, 6.0))
                .forEach(run::feed);

        List<Alert> regressions = run.of(AlertType.eval_regression).stream().filter(Alert::isFiring).toList();
        assertThat(regressions).hasSize(1);
        assertThat(regressions.get(0).details())
                .containsEntry("test", "between_neighbours")
                .containsEntry("dropStep", 13_000L);
        // at the latest two checkpoints after the dip's last
        assertThat((long) regressions.get(0).details().get("confirmedByStep")).isLessThanOrEqualTo(17_000L);
    }

    @Test
    void aRisingCurveThatFlattensIsNotMistakenForADrop() {
        Run run = new Run();
        rising(80, i -> 0.30 + 0.40 * (1 - Math.exp(-0.08 * i)), Map.of()).forEach(run::feed);

        assertThat(run.of(AlertType.eval_regression)).isEmpty();
    }

    @Test
    void outOfOrderArrivalGivesTheSameEpisodes() {
        List<EvalPoint> points = plateau("arc_easy", 40, Map.of(30, 8.0, 31, 8.0));
        Run inOrder = new Run();
        points.forEach(inOrder::feed);
        List<EvalPoint> shuffled = new ArrayList<>(points);
        Collections.swap(shuffled, 30, 33); // the drop's evaluation finishes late
        Collections.swap(shuffled, 20, 22);
        Run outOfOrder = new Run();
        shuffled.forEach(outOfOrder::feed);

        // The late checkpoint cannot be the onset any more; the episode is still found once and resolved.
        assertThat(inOrder.of(AlertType.eval_regression)).extracting(Alert::state)
                .containsExactly(AlertState.firing, AlertState.resolved);
        assertThat(outOfOrder.of(AlertType.eval_regression)).extracting(Alert::state)
                .containsExactly(AlertState.firing, AlertState.resolved);
        assertThat(outOfOrder.of(AlertType.eval_regression).get(0).step()).isBetween(31_000L, 32_000L);
        TrajectoryState t = outOfOrder.trajectories.get("arc_easy:acc");
        assertThat(t.recent).extracting(c -> c.step).isSorted();
    }

    @Test
    void aReEvaluationReplacesTheEarlierScoreAndADuplicateChangesNothing() {
        Run run = new Run();
        List<EvalPoint> points = plateau("arc_easy", 40, Map.of(39, 10.0));
        points.forEach(run::feed);
        assertThat(run.of(AlertType.eval_regression)).hasSize(1);

        run.feed(points.get(39)); // re-delivered: same score
        assertThat(run.of(AlertType.eval_regression)).hasSize(1);
        TrajectoryState t = run.trajectories.get("arc_easy:acc");
        assertThat(t.recent.get(t.recent.size() - 1).scores).hasSize(1);

        run.feed(acc("arc_easy", 40_000L, 0.60)); // the re-run shows the drop was a broken evaluation
        assertThat(run.of(AlertType.eval_regression)).extracting(Alert::state)
                .containsExactly(AlertState.firing, AlertState.resolved);
        assertThat(t.recent.get(t.recent.size() - 1).mean()).isEqualTo(0.60);
    }

    @Test
    void seedsOfACheckpointAreAveragedAndTheirSpreadIsNoise() {
        Run run = new Run();
        for (int i = 0; i < 20; i++) {
            for (int s = 0; s < 3; s++) {
                double value = 0.60 + (s - 1) * 0.03 + (i % 2) * 0.001;
                run.feed(new EvalPoint("r1", (i + 1) * 1000L, "arc_easy", "acc", value, null, ITEMS, "seed" + s,
                        null, null, i, true));
            }
        }
        EvalGauges gauges = run.last.trajectory();

        assertThat(gauges.score()).isCloseTo(0.60, org.assertj.core.data.Offset.offset(0.002));
        assertThat(gauges.noiseSeed()).isCloseTo(0.03 / Math.sqrt(3), org.assertj.core.data.Offset.offset(1e-3));
        assertThat(gauges.noise()).isEqualTo(Math.max(gauges.noiseSeed(), Math.max(gauges.noiseBinomial(),
                Math.max(gauges.noiseEmpirical(), 0.002 * 0.6))), org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void aLowerIsBetterMetricRegressesWhenItRises() {
        Run run = new Run();
        Random random = new Random(4);
        for (int i = 0; i < 40; i++) {
            double bpb = 0.80 + random.nextGaussian() * 0.004 + (i >= 30 ? 0.05 : 0);
            run.feed(new EvalPoint("r1", (i + 1) * 1000L, "hellaswag", "bpb", bpb, null, null, null, null, null, i,
                    false));
        }
        List<Alert> firing = run.of(AlertType.eval_regression).stream().filter(Alert::isFiring).toList();

        // The rise is the regression, by far the largest. At the catalogue's relative noise floor (0.2%) this
        // flat stretch of 0.5% noise also raises two small tickets (z 3.4 at checkpoint 10, z 4.0 at 23): its
        // empirical noise, from a few residuals, reads low. A test default of 0.5% had hidden them.
        assertThat(firing).anySatisfy(a -> assertThat(a.step()).isEqualTo(31_000L));
        Alert rise = firing.stream().filter(a -> a.step() == 31_000L).findFirst().orElseThrow();
        assertThat(firing).allSatisfy(a -> assertThat((Double) a.details().get("z"))
                .isLessThanOrEqualTo((Double) rise.details().get("z")));
        assertThat((Double) rise.details().get("z")).isGreaterThan(10);
        assertThat(run.last.trajectory().kendallTauAll()).isLessThan(0); // rising bpb is getting worse
    }

    @Test
    void aPerplexityThatTriplesAtTheSecondCheckpointAfterLearningIsTicketedAtOnce() {
        Run run = new Run();
        // learned from 40 to 12, then triples at one checkpoint and comes back (for two checkpoints, which close
        // the episode): before min.checkpoints (6)
        double[] ppl = {40, 12, 36, 12.5, 12.2};
        for (int i = 0; i < ppl.length; i++) {
            run.feed(new EvalPoint("r1", (i + 1) * 1000L, "lambada", "ppl", ppl[i], null, null, null, null, null,
                    i, false));
        }

        List<Alert> regressions = run.of(AlertType.eval_regression);
        assertThat(regressions).extracting(Alert::state).containsExactly(AlertState.firing, AlertState.resolved);
        assertThat(regressions.get(0).step()).isEqualTo(3_000L);
        assertThat(regressions.get(0).details().get("test")).isEqualTo("catastrophic");
        assertThat(regressions.get(0).summary()).contains("3.0-fold perplexity");
    }

    @Test
    void anUntrainedModelsEarlyPerplexityJumpIsNotCatastrophic() {
        Run run = new Run();
        double[] ppl = {1.2e7, 1.2e7, 6e8, 9e7, 9e6}; // Pythia 12B lambada, steps 0-32: nothing learned yet
        for (int i = 0; i < ppl.length; i++) {
            run.feed(new EvalPoint("r1", i * 1000L, "lambada", "ppl", ppl[i], null, null, null, null, null, i,
                    false));
        }

        assertThat(run.of(AlertType.eval_regression)).isEmpty();
    }

    @Test
    void anAccuracyFallingMostOfTheWayToChanceIsTicketedFromTheSecondCheckpoint() {
        Run run = new Run();
        run.feed(acc("arc_easy", 1000, 0.70));
        run.feed(acc("arc_easy", 2000, 0.34)); // chance 0.25: 80 % of the margin lost

        assertThat(run.of(AlertType.eval_regression)).hasSize(1);
        assertThat(run.of(AlertType.eval_regression).get(0).details().get("test")).isEqualTo("catastrophic");
    }

    @Test
    void aSmallEarlyDipIsNotCatastrophic() {
        Run run = new Run();
        run.feed(acc("arc_easy", 1000, 0.70));
        run.feed(acc("arc_easy", 2000, 0.67)); // 3 σ, 7 % of the margin

        assertThat(run.of(AlertType.eval_regression)).isEmpty();
    }

    @Test
    void aFormatThatSwingsFarBeyondItsSamplingErrorIsSaidUnstableOnceNamingItsSmoothSibling() {
        Run run = new Run();
        Random random = new Random(5);
        for (int i = 0; i < 60; i++) {
            long step = (i + 1) * 1000L;
            // the cloze twin rises smoothly; the multiple-choice format swings ±8 sampling errors
            run.feed(new EvalPoint("r1", step, "mmlu_stem", "acc_rc", 0.40 + 0.001 * i + random.nextGaussian() * SIGMA,
                    null, ITEMS, null, null, null, step, true));
            run.feed(new EvalPoint("r1", step, "mmlu_stem", "acc_mc", 0.45 + random.nextGaussian() * 8 * SIGMA,
                    null, ITEMS, null, null, null, step, true));
        }

        List<Alert> unstable = run.of(AlertType.eval_noisy).stream()
                .filter(a -> "unstable".equals(a.details().get("reason"))).toList();
        assertThat(unstable).hasSize(1);
        assertThat(unstable.get(0).metric()).isEqualTo("acc_mc");
        assertThat(unstable.get(0).details().get("smoothestSibling")).isEqualTo("acc_rc");
        assertThat(unstable.get(0).summary()).contains("sibling metric acc_rc");
    }

    @Test
    void anUnstableFormatsOrdinarySwingIsNotGrossButItsFallToChanceIs() {
        Run run = new Run();
        int items = 14_042;
        double sigma = Math.sqrt(0.65 * 0.35 / items); // ≈ 0.004; the format swings 8 of them
        Random random = new Random(6);
        for (int i = 0; i < 60; i++) {
            double swing = random.nextGaussian() * 8 * sigma;
            // checkpoint 40: a swing of 3.5 of its own swings (28 sampling errors, 28 % of its margin above
            // chance): gross against the sampling error alone, ordinary for this format
            double value = i == 40 ? 0.65 - 28 * sigma : i == 50 ? 0.26 : 0.65 + swing;
            run.feed(new EvalPoint("r1", (i + 1) * 1000L, "mmlu", "acc_mc", value, null, items, null, null, null,
                    i, true));
        }

        // before the swing counted, checkpoint 40 was a large_drop
        List<Alert> regressions = run.of(AlertType.eval_regression).stream().filter(Alert::isFiring).toList();
        assertThat(regressions).extracting(Alert::step).containsExactly(51_000L);
    }

    @Test
    void aResultTooLateToPlaceOrNotAScoreSaysSoAndAPlacedOneDoesNot() {
        Run run = new Run();
        Random random = new Random(5);
        for (int i = 1; i <= 400; i++) { // long enough that the oldest checkpoints leave the recent window
            assertThat(run.feed(acc("arc_easy", i * 1000L, 0.60 + random.nextGaussian() * SIGMA)).unplacedReason())
                    .isNull();
        }
        TrajectoryState trajectory = run.trajectories.get("arc_easy:acc");
        assertThat(trajectory.compressedThroughStep).isGreaterThanOrEqualTo(1000L);

        assertThat(run.feed(acc("arc_easy", 1000L, 0.10)).unplacedReason()).isEqualTo(EvalOutcome.TOO_LATE);
        assertThat(run.feed(acc("arc_easy", 401_000L, Double.NaN)).unplacedReason())
                .isEqualTo(EvalOutcome.NOT_A_SCORE);
        assertThat(run.of(AlertType.eval_regression)).isEmpty(); // neither moved the trajectory
    }

    @Test
    void theTailModelStartsFromThePriorAndFollowsTheRunsAndTheTrajectorysOwnResiduals() {
        TrajectoryAnalysis analysis = new TrajectoryAnalysis(TAIL_AWARE);
        EvalMonitor tailAware = new EvalMonitor(TAIL_AWARE);
        Run gaussianRun = new Run(tailAware);
        Run heavyRun = new Run(tailAware);
        Random random = new Random(8);
        for (int i = 0; i < 400; i++) {
            long step = (i + 1) * 1000L;
            gaussianRun.feed(acc("arc_easy", step, 0.60 + random.nextGaussian() * SIGMA));
            // every 10th checkpoint jumps 6 sigma up: a heavy tail, and no drop to ticket
            heavyRun.feed(acc("arc_easy", step, 0.60 + (i % 10 == 5 ? 6 : random.nextGaussian()) * SIGMA));
            if (i == 5) {
                assertThat(analysis.tailDof(gaussianRun.trajectories.get("arc_easy:acc"), gaussianRun.state))
                        .isEqualTo(TAIL_AWARE.tailDof());
            }
        }
        // a young trajectory of each run starts from its run's tail
        gaussianRun.feed(acc("piqa", 1000, 0.60));
        heavyRun.feed(acc("piqa", 1000, 0.60));

        TrajectoryState gaussian = gaussianRun.trajectories.get("arc_easy:acc");
        double prior = TAIL_AWARE.tailDof();
        assertThat(analysis.tailDof(gaussian, gaussianRun.state)).isGreaterThan(prior); // lighter: lower thresholds
        assertThat(analysis.tailDof(heavyRun.trajectories.get("arc_easy:acc"), heavyRun.state)).isLessThan(prior);
        assertThat(analysis.tailDof(gaussianRun.trajectories.get("piqa:acc"), gaussianRun.state)).isGreaterThan(prior);
        assertThat(analysis.tailDof(heavyRun.trajectories.get("piqa:acc"), heavyRun.state)).isLessThan(prior);
        assertThat(gaussian.tailResiduals).isBetween(380L, 390L);
        // the run's pool leaves out the checkpoints where the trajectory's swing looked beyond its sampling error
        assertThat(gaussianRun.state.tailResiduals).isPositive().isLessThanOrEqualTo(gaussian.tailResiduals);
    }

    @Test
    void aBinaryTaskFallingFromWellAboveItsMajorityRateBackToItIsADrop() {
        Run run = new Run();
        Random random = new Random(3);
        double sigma = Math.sqrt(0.8 * 0.2 / 3270);
        for (int i = 0; i < 30; i++) {
            double value = i == 25 ? 0.625 : 0.80 + random.nextGaussian() * sigma;
            run.feed(new EvalPoint("r1", (i + 1) * 1000L, "boolq", "acc", value, null, 3270, null, null, null, i,
                    true));
        }

        assertThat(run.of(AlertType.eval_regression)).isNotEmpty();
        assertThat(run.of(AlertType.eval_regression).get(0).step()).isEqualTo(26_000L);
        assertThat(run.of(AlertType.eval_noisy)).isEmpty();
    }

    @Test
    void aNoisyClassLiftsWhenTheBenchmarkLaterRisesFarAboveChance() {
        Run run = new Run();
        Random random = new Random(4);
        double sigma = Math.sqrt(0.25 * 0.75 / ITEMS);
        for (int i = 0; i < 80; i++) { // at chance for 40 checkpoints, then a capability emerges
            double truth = i < 40 ? 0.25 : Math.min(0.45, 0.25 + 0.01 * (i - 40));
            run.feed(new EvalPoint("r1", (i + 1) * 1000L, "arc_challenge", "acc", truth + random.nextGaussian() * sigma,
                    null, ITEMS, null, null, null, i, true));
        }
        TrajectoryState t = run.trajectories.get("arc_challenge:acc");

        assertThat(run.of(AlertType.eval_noisy)).extracting(Alert::state)
                .containsExactly(AlertState.firing, AlertState.resolved);
        assertThat(t.noisy).isFalse();
        // and once lifted, a fall back to chance is a drop again
        run.feed(new EvalPoint("r1", 81_000L, "arc_challenge", "acc", 0.25, null, ITEMS, null, null, null, 81, true));
        assertThat(run.of(AlertType.eval_regression)).isNotEmpty();
    }

    @Test
    void aBenchmarkStuckAtChanceIsClassedNoisyOnceAndNeverRegresses() {
        Run run = new Run();
        Random random = new Random(11);
        for (int i = 0; i < 80; i++) {
            run.feed(new EvalPoint("r1", (i + 1) * 1000L, "mmlu_stem", "acc", 0.25 + random.nextGaussian() * 0.012,
                    null, 3018, null, null, null, i, true));
        }

        assertThat(run.of(AlertType.eval_noisy)).hasSize(1).first().satisfies(a -> {
            assertThat(a.severity()).isEqualTo(io.runwatch.core.Severity.info);
            assertThat(a.id()).endsWith("/0");
            assertThat(a.details()).containsEntry("reason", "chance");
        });
        assertThat(run.of(AlertType.eval_regression)).isEmpty();
        assertThat(run.last.trajectory().noisy()).isTrue();
    }

    @Test
    void aYesNoTaskFlippingBetweenMajorityAndComplementIsNotARegression() {
        Run run = new Run();
        for (int i = 0; i < 40; i++) {
            double value = (i / 10) % 2 == 0 ? 0.622 : 0.378; // always-yes, then always-no, ...
            run.feed(new EvalPoint("r1", (i + 1) * 1000L, "boolq", "acc", value + (i % 3) * 0.001, null, 3270,
                    null, null, null, i, true));
        }

        assertThat(run.of(AlertType.eval_regression)).isEmpty();
        assertThat(run.of(AlertType.eval_noisy)).hasSize(1).first()
                .satisfies(a -> assertThat(a.summary()).contains("answer bias"));
        assertThat(run.last.trajectory().noisy()).isTrue();
    }

    @Test
    void theAlertNamesTheOtherBenchmarksThatFellAtTheSameCheckpoint() {
        Run run = new Run();
        List<List<EvalPoint>> benchmarks = List.of(plateau("arc_easy", 40, Map.of(30, 9.0, 31, 9.0)),
                plateau("piqa", 40, Map.of(30, 9.0, 31, 9.0)), plateau("sciq", 40, Map.of(30, 9.0, 31, 9.0)));
        for (int i = 0; i < 40; i++) {
            for (List<EvalPoint> b : benchmarks) {
                run.feed(b.get(i));
            }
        }
        Alert last = run.of(AlertType.eval_regression).stream().filter(Alert::isFiring)
                .filter(a -> a.benchmark().equals("sciq")).findFirst().orElseThrow();

        assertThat(last.details().get("movedTogether")).isEqualTo(List.of("arc_easy:acc", "piqa:acc"));
        assertThat(last.summary()).contains("2 other benchmarks fell");
    }

    @Test
    void theFirstBenchmarkToFallDoesNotClaimItFellAloneBeforeTheOthersAreIn() {
        Run run = new Run();
        List<EvalPoint> arcEasy = plateau("arc_easy", 40, Map.of(30, 9.0, 31, 9.0));
        List<EvalPoint> piqa = plateau("piqa", 40, Map.of());
        for (int i = 0; i < 40; i++) {
            run.feed(arcEasy.get(i)); // arc_easy's results of each checkpoint arrive before piqa's
            run.feed(piqa.get(i));
        }
        Alert first = run.of(AlertType.eval_regression).get(0);
        assertThat(first.benchmark()).isEqualTo("arc_easy");
        assertThat(first.details().get("otherBenchmarksEvaluated")).isEqualTo(0);
        assertThat(first.summary()).contains("no other benchmark of this run has results for that checkpoint yet");

        Run piqaFirst = new Run();
        for (int i = 0; i < 40; i++) {
            piqaFirst.feed(piqa.get(i));
            piqaFirst.feed(arcEasy.get(i));
        }
        Alert alone = piqaFirst.of(AlertType.eval_regression).get(0);
        assertThat(alone.details().get("otherBenchmarksEvaluated")).isEqualTo(1);
        assertThat(alone.summary()).contains("none of the 1 other benchmarks evaluated at that checkpoint so far fell");
    }

    @Test
    void capabilitiesAverageNormalisedScoresAndNameTheWeakest() {
        Run run = new Run();
        for (int i = 0; i < 5; i++) {
            long step = (i + 1) * 1000L;
            run.feed(acc("arc_easy", step, 0.55));        // knowledge: (0.55-0.25)/0.75 = 0.4
            run.feed(acc("piqa", step, 0.60));            // commonsense: (0.60-0.5)/0.5 = 0.2
            run.feed(new EvalPoint("r1", step, "my_code_eval", "pass", 0.30, null, 164, null, "code", null, i,
                    true));                                 // declared capability, unknown chance: 0.30
        }
        EvalOutcome outcome = run.last;

        assertThat(outcome.capabilities()).containsOnlyKeys("knowledge", "commonsense", "code");
        assertThat(outcome.capabilities().get("knowledge")).isCloseTo(0.4, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(outcome.weakestCapability()).isEqualTo("commonsense");
    }

    @Test
    void kendallTauMatchesTheDefinitionAlsoAfterCompression() {
        Run run = new Run();
        Random random = new Random(5);
        List<Double> values = new ArrayList<>();
        for (int i = 0; i < 30; i++) { // below the retained capacity: exact
            double v = 0.3 + i * 0.002 + random.nextGaussian() * 0.01;
            values.add(v);
            run.feed(acc("arc_easy", (i + 1) * 1000L, v));
        }
        assertThat(run.last.trajectory().kendallTauAll())
                .isCloseTo(bruteForceTau(values), org.assertj.core.data.Offset.offset(1e-12));
        double window = bruteForceTau(values.subList(20, 30));
        assertThat(run.last.trajectory().kendallTauWindow()).isCloseTo(window, org.assertj.core.data.Offset.offset(1e-12));

        for (int i = 30; i < 120; i++) { // older checkpoints now live in the sketch
            double v = 0.3 + i * 0.002 + random.nextGaussian() * 0.01;
            values.add(v);
            run.feed(acc("arc_easy", (i + 1) * 1000L, v));
        }
        assertThat(run.last.trajectory().kendallTauAll())
                .isCloseTo(bruteForceTau(values), org.assertj.core.data.Offset.offset(0.03));
    }

    @Test
    void stateRoundTripsThroughJsonStaysSmallAndDetectionContinuesIdentically() throws Exception {
        List<EvalPoint> points = plateau("arc_easy", 300, Map.of(250, 9.0, 251, 9.0));
        Run straight = new Run();
        points.forEach(straight::feed);

        Run restored = new Run();
        points.subList(0, 240).forEach(restored::feed);
        TrajectoryState trajectory = restored.trajectories.get("arc_easy:acc");
        String trajectoryJson = Json.MAPPER.writeValueAsString(trajectory);
        String runJson = Json.MAPPER.writeValueAsString(restored.state);
        System.out.printf("eval state after 240 checkpoints: trajectory %d bytes, run %d bytes%n",
                trajectoryJson.length(), runJson.length());
        Run resumed = new Run();
        resumed.alerts.addAll(restored.alerts);
        resumed.trajectories.put("arc_easy:acc", Json.MAPPER.readValue(trajectoryJson, TrajectoryState.class));
        EvalRunState runCopy = Json.MAPPER.readValue(runJson, EvalRunState.class);
        resumed.state.trajectories.putAll(runCopy.trajectories);
        resumed.state.benchmarks.putAll(runCopy.benchmarks);
        resumed.state.tailResiduals = runCopy.tailResiduals;
        resumed.state.tailResidualsBeyond3 = runCopy.tailResidualsBeyond3;
        points.subList(240, 300).forEach(resumed::feed);

        assertThat(resumed.alerts).isEqualTo(straight.alerts);
        assertThat(resumed.last.trajectory()).isEqualTo(straight.last.trajectory());
        assertThat(trajectoryJson.length()).isLessThan(6_000);
        String shortRunJson = Json.MAPPER.writeValueAsString(restoredAfter(points.subList(0, 60)));
        assertThat(trajectoryJson.length()).isLessThan(shortRunJson.length() + 1_000); // independent of run length
    }

    private TrajectoryState restoredAfter(List<EvalPoint> points) {
        Run run = new Run();
        points.forEach(run::feed);
        return run.trajectories.get("arc_easy:acc");
    }

    private static double bruteForceTau(List<Double> values) {
        double sum = 0;
        int n = values.size();
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                sum += Math.signum(values.get(j) - values.get(i));
            }
        }
        return sum / (n * (n - 1) / 2.0);
    }
}
