package io.runwatch.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.config.Settings;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertState;
import io.runwatch.core.AlertType;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * eval_co_drop through the production topology: a run's loss spikes, the checkpoint saved just after it is
 * evaluated hours later and several benchmarks fall together; one run-level ticket names the checkpoint, the
 * benchmarks and the spike's episode id, which the evaluation processor reads from the alert lifecycle's book of
 * the same run.
 */
class CoDropTopologyTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final int ITEMS = 2376;
    private static final double SIGMA = Math.sqrt(0.6 * 0.4 / ITEMS);
    private static final List<String> BENCHMARKS = List.of("arc_easy", "arc_challenge", "mmlu", "sciq", "openbookqa",
            "race", "mathqa", "logiqa", "hellaswag", "csqa", "socialiqa", "lambada");

    @TempDir
    Path stateDir;
    private TopologyFixture fixture;

    @AfterEach
    void close() {
        if (fixture != null) {
            fixture.close();
        }
    }

    /** Steps 1..500 of a power-law loss with 0.5 % noise and a 30 % spike at step 351 (held 3, back over 8). */
    private static void train(TopologyFixture f, String run) {
        Random random = new Random(1);
        double spike = Math.log1p(0.30);
        for (int step = 1; step <= 500; step++) {
            double logLoss = Math.log(2.5 + 7 / Math.pow(1 + step / 300.0, 0.7)) + 0.005 * random.nextGaussian();
            random.nextGaussian(); // the gradient norm's draw, as the training topology test's trainer makes it
            random.nextGaussian();
            if (step >= 351 && step <= 354) {
                logLoss += spike;
            } else if (step > 354 && step <= 362) {
                logLoss += spike * (1 - (step - 354) / 9.0);
            }
            long time = T0 + step * 1000L;
            f.metric(run, String.format(Locale.ROOT, "{\"run\":\"%s\",\"step\":%d,\"time\":%d,\"loss\":%.6f,"
                    + "\"grad_norm\":0.5,\"lr\":0.0003}", run, step, time, Math.exp(logLoss)), time);
        }
    }

    /**
     * 40 checkpoints every 10 steps of 12 benchmarks on plateaus at 0.60, evaluated after training; at the checkpoint
     * of step 360 the first {@code fallen} benchmarks fall 5 binomial errors (arc_easy 12), back at the next one.
     */
    private static void evaluate(TopologyFixture f, String run, int fallen) {
        Random random = new Random(3);
        long time = T0 + 3_600_000L;
        for (int i = 1; i <= 40; i++) {
            for (int b = 0; b < BENCHMARKS.size(); b++) {
                double fall = i == 36 && b < fallen ? (b == 0 ? 12 : 5) : 0;
                double value = 0.60 + (random.nextGaussian() - fall) * SIGMA;
                f.eval(run, String.format(Locale.ROOT, "{\"run\":\"%s\",\"step\":%d,\"benchmark\":\"%s\",\"metric\":"
                        + "\"acc\",\"value\":%.6f,\"n\":%d}", run, i * 10, BENCHMARKS.get(b), value, ITEMS), time += 1000);
            }
        }
    }

    @Test
    void benchmarksFallingTogetherAfterALossSpikeAreOneTicketNamingTheSpike() {
        fixture = new TopologyFixture(Settings.defaults(), RunwatchTopology.Mode.LIVE, stateDir);
        train(fixture, "co");
        List<Alert> training = fixture.alerts();
        assertThat(training).filteredOn(a -> a.type() == AlertType.loss_spike && a.isFiring())
                .extracting(Alert::id).containsExactly("co/loss_spike/351");

        evaluate(fixture, "co", 5);
        List<Alert> alerts = fixture.alerts();
        List<Alert> coDrops = alerts.stream().filter(a -> a.type() == AlertType.eval_co_drop).toList();
        assertThat(coDrops).extracting(Alert::state).containsExactly(AlertState.firing, AlertState.resolved);
        Alert firing = coDrops.get(0);
        assertThat(firing.step()).isEqualTo(360L);
        assertThat(firing.relatedId()).isEqualTo("co/loss_spike/351");
        assertThat(firing.rollbackToStep()).isEqualTo(350L);
        assertThat(firing.runbook()).isEqualTo("alerts/runbook.md#eval_co_drop");
        assertThat(firing.summary()).contains("loss spike episode at step 351 (co/loss_spike/351)");
        @SuppressWarnings("unchecked")
        List<String> named = (List<String>) firing.details().get("benchmarks");
        assertThat(named).containsAll(BENCHMARKS.subList(0, 5));

        // The benchmark that fell furthest still has its own ticket, labelled with its benchmark and capability.
        Alert own = alerts.stream().filter(a -> a.type() == AlertType.eval_regression && a.isFiring()
                && "arc_easy".equals(a.benchmark())).findFirst().orElseThrow();
        assertThat(own.group()).isEqualTo("knowledge");
    }

    @Test
    void theOpenCoDropAndEachBenchmarksTicketAreScrapedWithTheirLabels() {
        fixture = new TopologyFixture(Settings.defaults(), RunwatchTopology.Mode.LIVE, stateDir);
        Random random = new Random(3);
        long time = T0;
        // A drop that stays: the co-drop and arc_easy's ticket remain open at the scrape.
        for (int i = 1; i <= 40; i++) {
            for (int b = 0; b < BENCHMARKS.size(); b++) {
                double fall = i >= 36 && b < 5 ? (b == 0 ? 12 : 5) : 0;
                double value = 0.60 + (random.nextGaussian() - fall) * SIGMA;
                fixture.eval("stays", String.format(Locale.ROOT, "{\"run\":\"stays\",\"step\":%d,\"benchmark\":\"%s\","
                        + "\"metric\":\"acc\",\"value\":%.6f,\"n\":%d}", i * 10, BENCHMARKS.get(b), value, ITEMS),
                        time += 1000);
            }
        }
        List<Alert> alerts = fixture.alerts();
        assertThat(alerts).filteredOn(a -> a.type() == AlertType.eval_co_drop)
                .extracting(Alert::state, Alert::relatedId).containsExactly(org.assertj.core.groups.Tuple.tuple(
                        AlertState.firing, null));
        assertThat(fixture.scrape()).contains(
                "runwatch_alert_active{run=\"stays\",severity=\"ticket\",type=\"eval_co_drop\"} 1",
                "runwatch_alert_rollback_to_step{run=\"stays\",type=\"eval_co_drop\"} 350",
                "runwatch_alert_benchmark_active{benchmark=\"arc_easy\",group=\"knowledge\",run=\"stays\","
                        + "severity=\"ticket\",type=\"eval_regression\"} 1");
    }
}
