package io.runwatch.core.evals;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertState;
import io.runwatch.core.AlertType;
import io.runwatch.core.EvalPoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A benchmark whose solo drops keep recovering is classed flaky; a drop shared with others still tickets. */
class FlakyClassifierTest {
    private static final int ITEMS = 2376;
    private static final double SIGMA = Math.sqrt(0.6 * 0.4 / ITEMS);
    private static final List<String> BENCHMARKS = List.of("arc_easy", "copa", "hellaswag", "piqa");

    private final EvalMonitor monitor = new EvalMonitor(EvalSettings.defaults());
    private final EvalRunState run = new EvalRunState();
    private final Map<String, TrajectoryState> trajectories = new HashMap<>();
    private final List<Alert> alerts = new ArrayList<>();

    /**
     * 120 checkpoints of four flat benchmarks, each checkpoint's results in name order (copa before the
     * benchmarks it may fall with). copa falls alone by {@code sigmas} σ for one checkpoint at each of
     * {@code soloDrops}; at {@code sharedDrop} every benchmark falls.
     */
    private void replay(Set<Integer> soloDrops, int sharedDrop) {
        replay(soloDrops, sharedDrop, 7);
    }

    private void replay(Set<Integer> soloDrops, int sharedDrop, double sigmas) {
        Random random = new Random(11);
        for (int i = 0; i < 120; i++) {
            for (String benchmark : BENCHMARKS) {
                boolean falls = i == sharedDrop || (benchmark.equals("copa") && soloDrops.contains(i));
                double value = 0.80 + random.nextGaussian() * SIGMA - (falls ? sigmas * SIGMA : 0);
                EvalPoint p = new EvalPoint("r1", (i + 1) * 1000L, benchmark, "acc", value, null, ITEMS, null, null,
                        null, i * 10L, true);
                alerts.addAll(monitor.onEval(run, trajectories.computeIfAbsent(p.trajectoryKey(),
                        k -> new TrajectoryState()), p).alerts());
            }
        }
    }

    private List<Long> copaTicketSteps() {
        return alerts.stream().filter(a -> a.type() == AlertType.eval_regression && a.isFiring()
                && a.benchmark().equals("copa")).map(Alert::step).toList();
    }

    private List<Alert> flakyRecords() {
        return alerts.stream().filter(a -> a.type() == AlertType.eval_noisy
                && NoisyClassifier.FLAKY.equals(a.details().get("reason"))).toList();
    }

    @Test
    void threeIsolatedRecoveredDropsClassTheBenchmarkFlakyOnceAndMuteItsNextSoloDrops() {
        replay(Set.of(20, 35, 50, 65, 80), -1);

        assertThat(copaTicketSteps()).containsExactly(21_000L, 36_000L, 51_000L);
        List<Alert> flaky = flakyRecords();
        assertThat(flaky).hasSize(1);
        assertThat(flaky.get(0).state()).isEqualTo(AlertState.firing);
        assertThat(flaky.get(0).subject()).isEqualTo("copa");
        assertThat(flaky.get(0).summary()).contains("3 isolated drops in a row, each recovered");
        assertThat(run.isFlaky("copa")).isTrue();
    }

    @Test
    void aDropSharedWithTwoOtherBenchmarksIsStillTicketedOnAFlakyBenchmark() {
        replay(Set.of(20, 35, 50, 65), 80);

        assertThat(copaTicketSteps()).containsExactly(21_000L, 36_000L, 51_000L, 81_000L);
        assertThat(alerts).filteredOn(a -> a.type() == AlertType.eval_regression && a.isFiring()
                && a.step() == 81_000L).hasSize(BENCHMARKS.size());
    }

    @Test
    void aDropFarBeyondSamplingAndBackToChanceIsTicketedEvenOnAFlakyBenchmark() {
        // 12 σ from 0.80 to 0.61: 12 sampling errors and 62 % of its margin above chance, so never muted
        replay(Set.of(20, 35, 50, 65, 80), -1, 12);

        assertThat(run.isFlaky("copa")).isTrue();
        assertThat(copaTicketSteps()).containsExactly(21_000L, 36_000L, 51_000L, 66_000L, 81_000L);
        assertThat(alerts).filteredOn(a -> a.type() == AlertType.eval_regression && a.isFiring()
                && a.step() == 66_000L).extracting(a -> a.details().get("test")).containsExactly("large_drop");
    }

    @Test
    void aDropThatLastsKeepsTheBenchmarkWatched() {
        // copa's third drop holds for eight checkpoints: a real change, not a swing
        replay(Set.of(20, 35, 50, 51, 52, 53, 54, 55, 56, 57, 70), -1);

        assertThat(flakyRecords()).isEmpty();
        assertThat(copaTicketSteps()).contains(71_000L);
    }

    @Test
    void theClassEndsAfterACalmStretch() {
        EvalMonitor quickToForgive = new EvalMonitor(withCalmCheckpoints(EvalSettings.defaults(), 30));
        Random random = new Random(11);
        Set<Integer> soloDrops = Set.of(20, 35, 50, 100);
        for (int i = 0; i < 120; i++) {
            for (String benchmark : BENCHMARKS) {
                boolean falls = benchmark.equals("copa") && soloDrops.contains(i);
                double value = 0.60 + random.nextGaussian() * SIGMA - (falls ? 12 * SIGMA : 0);
                EvalPoint p = new EvalPoint("r1", (i + 1) * 1000L, benchmark, "acc", value, null, ITEMS, null, null,
                        null, i * 10L, true);
                alerts.addAll(quickToForgive.onEval(run, trajectories.computeIfAbsent(p.trajectoryKey(),
                        k -> new TrajectoryState()), p).alerts());
            }
        }

        assertThat(flakyRecords()).extracting(Alert::state).containsExactly(AlertState.firing, AlertState.resolved);
        assertThat(copaTicketSteps()).containsExactly(21_000L, 36_000L, 51_000L, 101_000L);
    }

    private static EvalSettings withCalmCheckpoints(EvalSettings s, int calm) {
        return new EvalSettings(s.kendallWindow(), s.retainedCheckpoints(), s.levelCheckpoints(),
                s.lookbackCheckpoints(), s.noiseWindow(), s.empiricalNoiseWindow(), s.empiricalNoiseHalfLife(),
                s.minCheckpoints(), s.alpha(), s.confirmWithNext(), s.resolveZ(), s.movedZ(),
                s.noisyMinCheckpoints(), s.noisyMaxTau(), s.relativeNoiseFloor(), s.flakyEpisodes(),
                s.flakyRecoveryCheckpoints(), calm, s.neverMuteZ(), s.neverMuteChanceShare(), s.catastrophicFactor(),
                s.catastrophicChanceShare(), s.unstableRatio(), s.tailDof(), s.coDropBenchmarks(), s.coDropAlpha(),
                s.resolveCheckpoints(), s.resolveHoldWithin(), s.bpbNoiseFloor());
    }
}
