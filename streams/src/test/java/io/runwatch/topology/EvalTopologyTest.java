package io.runwatch.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.runwatch.config.Settings;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertState;
import io.runwatch.core.AlertType;
import io.runwatch.core.Severity;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoint evaluations through the production topology, as an eval harness writes them to
 * {@code runwatch.evals}: one JSON object per (checkpoint, benchmark, metric[, seed]), keyed by run, finishing
 * in any order.
 */
class EvalTopologyTest {
    private static final int ITEMS = 2376;
    private static final double SIGMA = Math.sqrt(0.6 * 0.4 / ITEMS); // binomial error at 0.60, ≈ 0.01
    private static final long CHECKPOINT_MS = 600_000;

    @TempDir
    Path stateDir;
    private TopologyFixture fixture;

    @AfterEach
    void close() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private TopologyFixture start() {
        fixture = new TopologyFixture(Settings.defaults(), RunwatchTopology.Mode.LIVE, stateDir);
        return fixture;
    }

    /** One evaluation result as the harness writes it; {@code seed} and {@code extra} may be null. */
    private record Result(int checkpoint, String benchmark, String metric, double value, String seed, String extra) {
        long step() {
            return (checkpoint + 1) * 1_000L;
        }

        String json() {
            return String.format(Locale.ROOT, "{\"run\":\"r1\",\"step\":%d,\"benchmark\":\"%s\",\"metric\":\"%s\","
                            + "\"value\":%.6f%s%s}", step(), benchmark, metric, value,
                    seed == null ? "" : ",\"seed\":\"" + seed + "\"", extra == null ? "" : "," + extra);
        }
    }

    /** arc_easy accuracy on a plateau at 0.60 with binomial noise; checkpoints in {@code dropped} fall 8σ. */
    private static List<Result> plateau(int checkpoints, List<Integer> dropped) {
        Random random = new Random(7);
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < checkpoints; i++) {
            double value = 0.60 + (random.nextGaussian() - (dropped.contains(i) ? 8 : 0)) * SIGMA;
            results.add(new Result(i, "arc_easy", "acc", value, null, "\"n\":" + ITEMS));
        }
        return results;
    }

    /** Sends results in the given order, one every ten seconds of record time. */
    private static void send(TopologyFixture f, List<Result> results) {
        long time = 0;
        for (Result r : results) {
            f.eval("r1", r.json(), time += 10_000);
        }
    }

    /** Each evaluation job finishes up to five checkpoints late, so results arrive out of step order. */
    private static List<Result> finishingLate(List<Result> results, long seed) {
        Random random = new Random(seed);
        List<double[]> finish = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            finish.add(new double[] {results.get(i).checkpoint() + 5 * random.nextDouble(), i});
        }
        finish.sort(Comparator.comparingDouble(f -> f[0]));
        return finish.stream().map(f -> results.get((int) f[1])).toList();
    }

    private static List<Alert> of(List<Alert> alerts, AlertType type) {
        return alerts.stream().filter(a -> a.type() == type).toList();
    }

    private static double gauge(String scrape, String series) {
        Matcher m = Pattern.compile(Pattern.quote(series) + " (\\S+)").matcher(scrape);
        assertThat(m.find()).as("series %s in the scrape", series).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void evaluationsArrivingOutOfOrderGiveOneTicketThatResolves() {
        TopologyFixture f = start();
        List<Result> inOrder = plateau(40, List.of(30, 31));
        List<Result> arrival = finishingLate(inOrder, 3);
        assertThat(arrival).isNotEqualTo(inOrder);

        send(f, arrival);

        List<Alert> regressions = of(f.alerts(), AlertType.eval_regression);
        assertThat(regressions).extracting(Alert::state).containsExactly(AlertState.firing, AlertState.resolved);
        Alert ticket = regressions.get(0);
        assertThat(ticket.severity()).isEqualTo(Severity.ticket);
        assertThat(ticket.step()).isBetween(31_000L, 32_000L);
        assertThat(ticket.runbook()).isEqualTo("alerts/runbook.md#eval_regression");
        assertThat(ticket.summary()).contains("arc_easy", "acc", "r1");
        assertThat(regressions.get(1).id()).isEqualTo(ticket.id());
        String scrape = f.scrape();
        assertThat(scrape).contains("runwatch_alerts_total{severity=\"ticket\",type=\"eval_regression\"} 1.0")
                .doesNotContain("runwatch_alert_active{run=\"r1\",severity=\"ticket\",type=\"eval_regression\"}");
        assertThat((double) ticket.details().get("noise")).isBetween(0.5 * SIGMA, 2 * SIGMA);
        assertThat((double) ticket.details().get("z")).isGreaterThan(ticket.threshold());
    }

    @Test
    void aReEvaluationReplacesTheScoreAndARedeliveredResultChangesNothing() {
        TopologyFixture f = start();
        List<Result> results = plateau(40, List.of(39)); // the newest evaluation looks broken
        send(f, results);
        List<Alert> firing = of(f.alerts(), AlertType.eval_regression);
        assertThat(firing).extracting(Alert::state).containsExactly(AlertState.firing);

        f.eval("r1", results.get(39).json(), 500_000); // the same record delivered again
        assertThat(f.alerts()).isEmpty();

        Result rerun = new Result(39, "arc_easy", "acc", 0.60, null, "\"n\":" + ITEMS);
        f.eval("r1", rerun.json(), 510_000); // the job re-run after a harness fix
        List<Alert> resolved = f.alerts();
        assertThat(resolved).singleElement().satisfies(a -> {
            assertThat(a.state()).isEqualTo(AlertState.resolved);
            assertThat(a.id()).isEqualTo(firing.get(0).id());
        });
        assertThat(gauge(f.scrape(), "runwatch_eval_score{benchmark=\"arc_easy\",metric=\"acc\",run=\"r1\"}"))
                .isCloseTo(0.60, within(1e-9));
    }

    @Test
    void seedsOfACheckpointAreOneTrajectoryWhoseSpreadIsNoise() {
        TopologyFixture f = start();
        List<Result> results = new ArrayList<>();
        Random random = new Random(9);
        for (int i = 0; i < 40; i++) {
            double checkpointDrop = i == 30 || i == 31 ? 0.10 : 0;
            for (int s = 0; s < 3; s++) {
                double value = 0.60 + (s - 1) * 0.03 + random.nextGaussian() * 0.002 - checkpointDrop;
                results.add(new Result(i, "arc_easy", "acc", value, "seed-" + s, "\"n\":" + ITEMS));
            }
        }
        send(f, finishingLate(results, 5));

        List<Alert> alerts = f.alerts();
        assertThat(of(alerts, AlertType.eval_regression)).filteredOn(Alert::isFiring).hasSize(1);
        String scrape = f.scrape();
        assertThat(scrape).doesNotContain("seed=");
        // Seeds spread ±0.03 around the mean: the error of a 3-seed mean is 0.03 / √3.
        assertThat(gauge(scrape, "runwatch_eval_noise{benchmark=\"arc_easy\",metric=\"acc\",run=\"r1\"}"))
                .isCloseTo(0.03 / Math.sqrt(3), within(0.003));
    }

    @Test
    void lowerIsBetterMetricsRegressWhenTheyRise() {
        TopologyFixture f = start();
        Random random = new Random(4);
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            double worse = i >= 30 ? 0.05 : 0;
            results.add(new Result(i, "hellaswag", "bpb", 0.80 + random.nextGaussian() * 0.004 + worse, null,
                    null));
            // A metric the contract does not know: the harness says which way is better.
            results.add(new Result(i, "toxicity", "rate", 0.10 + random.nextGaussian() * 0.001 + worse, null,
                    "\"higher_is_better\":false"));
        }
        send(f, results);

        List<Alert> regressions = of(f.alerts(), AlertType.eval_regression);
        assertThat(regressions).filteredOn(Alert::isFiring).extracting(Alert::subject)
                .containsExactlyInAnyOrder("hellaswag:bpb", "toxicity:rate");
        assertThat(regressions).filteredOn(Alert::isFiring).allSatisfy(a -> assertThat(a.step()).isEqualTo(31_000L));
        assertThat(gauge(f.scrape(),
                "runwatch_eval_kendall_tau{benchmark=\"hellaswag\",metric=\"bpb\",run=\"r1\",window=\"all\"}"))
                .isNegative(); // a rising bpb is getting worse
    }

    @Test
    void benchmarksThatAreOnlyNoiseAreClassedOnceAndNeverRegress() {
        TopologyFixture f = start();
        Random random = new Random(11);
        List<Result> results = new ArrayList<>();
        boolean majority = true;
        for (int i = 0; i < 60; i++) {
            results.add(new Result(i, "mmlu_stem", "acc", 0.25 + random.nextGaussian() * 0.008, null,
                    "\"n\":3018"));
            if (i % 9 == 0) {
                majority = !majority; // a yes/no task swinging between always-yes and always-no
            }
            results.add(new Result(i, "boolq", "acc", (majority ? 0.622 : 0.378) + random.nextGaussian() * 0.004,
                    null, "\"n\":3270"));
        }
        send(f, finishingLate(results, 8));

        List<Alert> alerts = f.alerts();
        assertThat(of(alerts, AlertType.eval_regression)).isEmpty();
        assertThat(of(alerts, AlertType.eval_noisy)).filteredOn(Alert::isFiring)
                .extracting(Alert::subject).containsExactlyInAnyOrder("mmlu_stem:acc", "boolq:acc");
        assertThat(of(alerts, AlertType.eval_noisy)).allSatisfy(a -> assertThat(a.severity()).isEqualTo(Severity.info));
        String scrape = f.scrape();
        assertThat(gauge(scrape, "runwatch_eval_noisy{benchmark=\"mmlu_stem\",metric=\"acc\",run=\"r1\"}"))
                .isEqualTo(1);
        assertThat(gauge(scrape, "runwatch_eval_noisy{benchmark=\"boolq\",metric=\"acc\",run=\"r1\"}"))
                .isEqualTo(1);
    }
}
