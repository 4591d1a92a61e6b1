package io.runwatch.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.core.evals.EvalRunState;
import io.runwatch.core.evals.TrajectoryState;
import io.runwatch.core.liveness.LivenessGauges;
import io.runwatch.core.liveness.LivenessState;
import io.runwatch.core.training.TrainingState;
import io.runwatch.query.QueryViews.Episode;
import io.runwatch.core.alerts.AlertBook;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The views say what the state means, in the documented shape, whatever the state's internals. */
class RunViewsTest {
    @Test
    void trainingShowsTheLossBaselineInLossUnitsAndUnknownsAsNull() {
        TrainingState state = new TrainingState();
        assertThat(RunViews.training(state).lastStep()).isNull();
        assertThat(RunViews.training(state).lossLevel()).isNull();
        state.firstStep = 1;
        state.lastStep = 120;
        state.lastHealthyStep = 119;
        state.lastCheckpointStep = 100;
        state.baseline.loss.level = Math.log(2.5);
        state.baseline.loss.samples = 50;
        state.baseline.loggedSteps = 50;
        state.precision = "bf16";
        QueryViews.Training view = RunViews.training(state);
        assertThat(view.lastStep()).isEqualTo(120);
        assertThat(view.lastCheckpointStep()).isEqualTo(100);
        assertThat(view.lossLevel()).isCloseTo(2.5, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(view.lossNoise()).isPositive();
        assertThat(view.lossSamples()).isEqualTo(50);
        assertThat(view.precision()).isEqualTo("bf16");
        assertThat(RunViews.training(null)).isNull();
    }

    @Test
    void livenessStatusNamesTheMostUrgentCondition() {
        LivenessState state = new LivenessState();
        assertThat(RunViews.livenessStatus(state)).isEqualTo("starting");
        state.position = 10;
        assertThat(RunViews.livenessStatus(state)).isEqualTo("running");
        state.throughput.openId = "r/throughput_drop/5";
        assertThat(RunViews.livenessStatus(state)).isEqualTo("slow");
        state.stall.openId = "r/stall/10";
        assertThat(RunViews.livenessStatus(state)).isEqualTo("stalled");
        state.ended = true;
        assertThat(RunViews.livenessStatus(state)).isEqualTo("ended");

        LivenessState alive = new LivenessState();
        alive.position = 7;
        alive.lastAliveMs = 10_000;
        QueryViews.Liveness view = RunViews.liveness(alive,
                new LivenessGauges(Double.NaN, 0, 120, 2, Double.NaN, 1), 12_500);
        assertThat(view.silenceS()).isEqualTo(2.5);
        assertThat(view.lastAlive()).isEqualTo("1970-01-01T00:00:10Z");
        assertThat(view.goodputRatio()).as("NaN is not JSON: unknown is null").isNull();
        assertThat(view.stallDeadlineS()).isEqualTo(120);
        assertThat(view.restartsTotal()).isEqualTo(1);
    }

    @Test
    void anEvaluationCarriesItsNewestCheckpointAndNoiseClass() {
        TrajectoryState trajectory = new TrajectoryState();
        trajectory.benchmark = "hellaswag";
        trajectory.metric = "acc_norm";
        trajectory.checkpointsSeen = 3;
        TrajectoryState.Checkpoint older = new TrajectoryState.Checkpoint();
        older.step = 1000;
        older.scores.add(0.30);
        TrajectoryState.Checkpoint newest = new TrajectoryState.Checkpoint();
        newest.step = 2000;
        newest.scores.add(0.40);
        newest.scores.add(0.42);
        newest.stderr = 0.01;
        trajectory.recent.add(older);
        trajectory.recent.add(newest);
        EvalRunState run = new EvalRunState();
        QueryViews.Evaluation view = RunViews.evaluation(trajectory, run);
        assertThat(view.step()).isEqualTo(2000);
        assertThat(view.score()).isCloseTo(0.41, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(view.seeds()).isEqualTo(2);
        assertThat(view.noiseClass()).isEqualTo("normal");

        EvalRunState.BenchmarkSwings swings = new EvalRunState.BenchmarkSwings();
        swings.flaky = true;
        run.benchmarks.put("hellaswag", swings);
        assertThat(RunViews.evaluation(trajectory, run).noiseClass()).isEqualTo("flaky");
        trajectory.noisy = true;
        trajectory.noisyReason = "chance";
        assertThat(RunViews.evaluation(trajectory, run).noiseClass()).as("the trajectory's own class first")
                .isEqualTo("chance");
    }

    @Test
    void episodesOpenOldestFirstAndResolvedNewestFirst() {
        AlertBook book = new AlertBook();
        AlertBook.OpenEpisode later = open("page", 2_000, 40L, 30L);
        AlertBook.OpenEpisode earlier = open("ticket", 1_000, 20L, null);
        book.open.put("r/loss_spike/40", later);
        book.open.put("r/nonfinite/20", earlier);
        AlertBook.ResolvedEpisode first = new AlertBook.ResolvedEpisode();
        first.id = "r/stall/5";
        first.resolvedAtMs = 500;
        AlertBook.ResolvedEpisode second = new AlertBook.ResolvedEpisode();
        second.id = "r/stall/9";
        second.resolvedAtMs = 900;
        book.recentlyResolved.add(first);
        book.recentlyResolved.add(second);
        List<Episode> open = RunViews.open("r", book);
        assertThat(open).extracting(Episode::id).containsExactly("r/nonfinite/20", "r/loss_spike/40");
        assertThat(open.get(1).rollbackToStep()).isEqualTo(30);
        assertThat(open.get(1).state()).isEqualTo("firing");
        assertThat(open.get(1).firedAt()).isEqualTo("1970-01-01T00:00:02Z");
        assertThat(RunViews.resolved("r", book)).extracting(Episode::id).containsExactly("r/stall/9", "r/stall/5");
        assertThat(RunViews.open("r", null)).isEmpty();
    }

    private static AlertBook.OpenEpisode open(String severity, long firedAtMs, Long step, Long rollback) {
        AlertBook.OpenEpisode episode = new AlertBook.OpenEpisode();
        episode.type = "x";
        episode.severity = severity;
        episode.firedAtMs = firedAtMs;
        episode.step = step;
        episode.rollbackToStep = rollback;
        return episode;
    }
}
