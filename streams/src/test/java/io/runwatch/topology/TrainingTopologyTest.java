package io.runwatch.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import io.runwatch.config.Settings;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertState;
import io.runwatch.core.AlertType;
import io.runwatch.core.Severity;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training health through the production topology: JSON records as a trainer writes them, in, and the records
 * of {@code runwatch.alerts} and the Prometheus scrape, out. Every run is seeded; the detectors' own edge cases
 * are in {@code TrainingHealthMonitorTest}.
 */
class TrainingTopologyTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final Set<AlertType> TRAINING_TYPES = Set.of(AlertType.nonfinite, AlertType.loss_spike,
            AlertType.divergence, AlertType.grad_norm_spike, AlertType.adam_precursor, AlertType.run_rewound);

    @TempDir
    Path stateDir;
    private TopologyFixture fixture;

    private TopologyFixture start(Settings settings) {
        fixture = new TopologyFixture(settings, RunwatchTopology.Mode.LIVE, stateDir);
        return fixture;
    }

    private TopologyFixture start() {
        return start(Settings.defaults());
    }

    @AfterEach
    void close() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void aLossSpikeTicketsOnceWithItsEvidenceAndResolvesWhenTheLossIsBack() {
        TopologyFixture f = start();
        Trainer trainer = new Trainer(f, "spiky", 500, 1).spike(351, 0.30, 3, 8);
        trainer.send(1, 360);
        List<Alert> during = f.alerts();
        assertThat(during).singleElement().satisfies(ticket -> {
            assertThat(ticket.type()).isEqualTo(AlertType.loss_spike);
            assertThat(ticket.severity()).isEqualTo(Severity.ticket);
            assertThat(ticket.state()).isEqualTo(AlertState.firing);
            assertThat(ticket.id()).isEqualTo("spiky/loss_spike/351");
            assertThat(ticket.step()).isEqualTo(351);
            assertThat(ticket.detectedAtStep()).isBetween(352L, 353L);
            assertThat(ticket.rollbackToStep()).isEqualTo(300);
            assertThat(ticket.runbook()).isEqualTo("alerts/runbook.md#loss_spike");
            assertThat((Double) ticket.details().get("height")).isBetween(0.25, 0.36);
            assertThat((Double) ticket.details().get("baseline_loss")).isBetween(6.2, 6.9);
            assertThat((Double) ticket.details().get("z")).isGreaterThan(6.0);
        });
        assertThat(f.scrape()).contains(
                "runwatch_alert_active{run=\"spiky\",severity=\"ticket\",type=\"loss_spike\"} 1",
                "runwatch_alert_rollback_to_step{run=\"spiky\",type=\"loss_spike\"} 300",
                "runwatch_alerts_total{severity=\"ticket\",type=\"loss_spike\"} 1.0");

        trainer.send(361, 500);
        List<Alert> after = f.alerts();
        assertThat(after).singleElement().satisfies(resolved -> {
            assertThat(resolved.id()).isEqualTo(during.get(0).id());
            assertThat(resolved.state()).isEqualTo(AlertState.resolved);
            assertThat(resolved.detectedAtStep()).isBetween(362L, 380L);
            assertThat(resolved.summary()).contains("back to its pre-spike level");
        });
        assertThat(f.scrape()).doesNotContain("runwatch_alert_active{run=\"spiky\"");
    }

    @Test
    void aOneStepOutlierIsAnInfoNoticeCountedInTheSpikeCounter() {
        TopologyFixture f = start();
        Trainer trainer = new Trainer(f, "bad-batch", 300, 2).spike(200, 0.40, 0, 0);
        trainer.send(1, 300);
        List<Alert> alerts = f.alerts();
        assertThat(alerts).extracting(Alert::type, Alert::severity, Alert::state, Alert::step).containsExactly(
                tuple(AlertType.loss_spike, Severity.info, AlertState.firing, 200L),
                tuple(AlertType.loss_spike, Severity.info, AlertState.resolved, 200L));
        assertThat(alerts.get(0).summary()).contains("bad batch");
        assertThat(alerts.get(0).detectedAtStep()).isEqualTo(201);
        assertThat(f.scrape()).contains(
                "runwatch_loss_spikes_total{run=\"bad-batch\"} 1.0",
                "runwatch_run_loss_spike_rate{run=\"bad-batch\"} ",
                "runwatch_alerts_total{severity=\"info\",type=\"loss_spike\"} 1.0");
        assertThat(f.scrape()).doesNotContain("runwatch_run_loss_spike_rate{run=\"bad-batch\"} 0.0");
    }

    @Test
    void aBadBatchNoticeDoesNotHoldBackTheSpikeTicketAfterIt() {
        TopologyFixture f = start();
        new Trainer(f, "notice-then-spike", 400, 2).spike(200, 0.40, 0, 0).spike(260, 0.30, 3, 8).send(1, 400);
        assertThat(f.alerts()).extracting(Alert::type, Alert::severity, Alert::state, Alert::step).containsExactly(
                tuple(AlertType.loss_spike, Severity.info, AlertState.firing, 200L),
                tuple(AlertType.loss_spike, Severity.info, AlertState.resolved, 200L),
                tuple(AlertType.loss_spike, Severity.ticket, AlertState.firing, 260L),
                tuple(AlertType.loss_spike, Severity.ticket, AlertState.resolved, 260L));
    }

    @Test
    void aSecondSpikeWithinTheTicketCooldownIsHeldBackAndALaterOneTickets() {
        TopologyFixture f = start(); // alerts.cooldown.steps = 100 after the first ticket resolves (~215)
        new Trainer(f, "flapping", 500, 12).spike(200, 0.30, 2, 8).spike(260, 0.30, 2, 8).spike(400, 0.30, 2, 8)
                .send(1, 500);
        assertThat(f.alerts()).extracting(Alert::severity, Alert::state, Alert::step).containsExactly(
                tuple(Severity.ticket, AlertState.firing, 200L),
                tuple(Severity.ticket, AlertState.resolved, 200L),
                tuple(Severity.ticket, AlertState.firing, 400L),
                tuple(Severity.ticket, AlertState.resolved, 400L));
    }

    @Test
    void aSpikeThatDoesNotComeBackEscalatesToADivergencePageWithTheCheckpointBeforeItsOnset() {
        TopologyFixture f = start();
        // Checkpoints keep being saved during the episode (500): the rollback target must still be 400.
        Trainer trainer = new Trainer(f, "diverging", 600, 3).spike(451, 0.40, 1000, 0);
        trainer.send(1, 600);
        List<Alert> alerts = f.alerts();
        assertThat(alerts).extracting(Alert::type, Alert::severity, Alert::state).containsExactly(
                tuple(AlertType.loss_spike, Severity.ticket, AlertState.firing),
                tuple(AlertType.loss_spike, Severity.ticket, AlertState.resolved),
                tuple(AlertType.divergence, Severity.page, AlertState.firing));
        Alert spike = alerts.get(0);
        Alert escalated = alerts.get(1);
        Alert page = alerts.get(2);
        assertThat(spike.rollbackToStep()).isEqualTo(400);
        assertThat(escalated.id()).isEqualTo(spike.id());
        assertThat(escalated.summary()).contains("escalated to divergence");
        assertThat(escalated.detectedAtStep()).isEqualTo(page.detectedAtStep());
        assertThat(page.id()).isEqualTo("diverging/divergence/451");
        assertThat(page.relatedId()).isEqualTo(spike.id());
        assertThat(page.step()).isEqualTo(451);
        assertThat(page.rollbackToStep()).isEqualTo(400);
        // A plateau at the top: no progress back, judged from 20 logged steps after the onset and 16 after the
        // smoothed loss last peaked.
        assertThat(page.detectedAtStep()).as(page.summary()).isBetween(451L + 20, 451L + 60);
        assertThat(page.summary()).contains("not coming back", "roll back to step 400");
        assertThat(page.runbook()).isEqualTo("alerts/runbook.md#divergence");
        assertThat(f.scrape())
                .contains("runwatch_alert_active{run=\"diverging\",severity=\"page\",type=\"divergence\"} 1",
                        "runwatch_alert_rollback_to_step{run=\"diverging\",type=\"divergence\"} 400")
                .doesNotContain("runwatch_alert_active{run=\"diverging\",severity=\"ticket\"");
    }

    @Test
    void nonFiniteValuesInAnySpellingPageOnceAndResolveWhenFiniteAgain() {
        TopologyFixture f = start();
        // Declared bf16: no loss scaler, so an Inf gradient norm with a finite loss is a fault, not a skipped step.
        f.event("overflow", "{\"run\":\"overflow\",\"type\":\"start\",\"config\":{\"precision\":\"bf16\"}}", 0);
        Trainer trainer = new Trainer(f, "overflow", 100, 4);
        trainer.send(1, 80);
        f.metric("overflow", "{\"run\":\"overflow\",\"step\":81,\"loss\":2.9,\"grad_norm\":\"inf\"}", trainer.tick());
        f.metric("overflow", "{\"run\":\"overflow\",\"step\":82,\"loss\":NaN,\"grad_norm\":Infinity}", trainer.tick());
        trainer.send(83, 90);
        List<Alert> alerts = f.alerts();
        assertThat(alerts).extracting(Alert::type, Alert::severity, Alert::state).containsExactly(
                tuple(AlertType.nonfinite, Severity.page, AlertState.firing),
                tuple(AlertType.nonfinite, Severity.page, AlertState.resolved));
        assertThat(alerts.get(0).metric()).isEqualTo("grad_norm");
        assertThat(alerts.get(0).step()).isEqualTo(81);
        assertThat(alerts.get(0).rollbackToStep()).isEqualTo(80);
        assertThat(alerts.get(1).detectedAtStep()).isEqualTo(83);
    }

    @Test
    void anUndeclaredRunsInfGradientNormWithAFiniteLossIsASkippedStepNotice() {
        TopologyFixture f = start();
        Trainer trainer = new Trainer(f, "fp16", 100, 4);
        trainer.send(1, 80);
        f.metric("fp16", "{\"run\":\"fp16\",\"step\":81,\"loss\":2.9,\"grad_norm\":\"inf\"}", trainer.tick());
        trainer.send(82, 90);
        assertThat(f.alerts()).extracting(Alert::type, Alert::severity, Alert::state, Alert::step).containsExactly(
                tuple(AlertType.skipped_steps, Severity.info, AlertState.firing, 81L),
                tuple(AlertType.skipped_steps, Severity.info, AlertState.resolved, 81L));
    }

    @Test
    void aGradientNormJumpThatPersistsTicketsAndALoneOneIsANotice() {
        TopologyFixture f = start();
        Trainer persistent = new Trainer(f, "grad-jump", 300, 5).gradJump(200, 6.0, 12);
        persistent.send(1, 300);
        Trainer lone = new Trainer(f, "grad-blip", 300, 6).gradJump(200, 8.0, 1);
        lone.send(1, 300);
        List<Alert> alerts = f.alerts();
        assertThat(alerts).extracting(Alert::run, Alert::type, Alert::severity, Alert::state, Alert::step)
                .containsExactly(
                        tuple("grad-jump", AlertType.grad_norm_spike, Severity.ticket, AlertState.firing, 200L),
                        tuple("grad-jump", AlertType.grad_norm_spike, Severity.ticket, AlertState.resolved, 200L),
                        tuple("grad-blip", AlertType.grad_norm_spike, Severity.info, AlertState.firing, 200L),
                        tuple("grad-blip", AlertType.grad_norm_spike, Severity.info, AlertState.resolved, 200L));
        Alert ticket = alerts.get(0);
        assertThat(ticket.detectedAtStep()).isEqualTo(204); // training.grad.persist.steps = 5 logged steps
        assertThat(ticket.rollbackToStep()).isEqualTo(100);
        assertThat(ticket.value()).isBetween(0.5 * 4, 0.5 * 9);
        assertThat(alerts.get(1).detectedAtStep()).isEqualTo(212);
    }

    @Test
    void anAdamPrecursorInAParameterGroupTicketsAheadOfTheSpikeItAnnounces() {
        TopologyFixture f = start();
        f.event("adam", "{\"run\":\"adam\",\"type\":\"start\",\"config\":{\"adam_eps\":1e-8,\"lr_max\":6e-4}}", T0);
        // The embedding's gradient norm collapses three decades and its updates turn sign-like from step 600;
        // the loss spikes at 620 and recovers; the group is healthy again from 660.
        Trainer trainer = new Trainer(f, "adam", 800, 7).spike(620, 0.5, 2, 8).precursor(600, 20, 660);
        trainer.send(1, 800);
        List<Alert> alerts = f.alerts();
        assertThat(alerts).extracting(Alert::type, Alert::severity, Alert::state).containsExactly(
                tuple(AlertType.adam_precursor, Severity.ticket, AlertState.firing),
                tuple(AlertType.loss_spike, Severity.ticket, AlertState.firing),
                tuple(AlertType.loss_spike, Severity.ticket, AlertState.resolved),
                tuple(AlertType.adam_precursor, Severity.ticket, AlertState.resolved));
        Alert precursor = alerts.get(0);
        assertThat(precursor.group()).isEqualTo("embed");
        assertThat(precursor.id()).startsWith("adam/adam_precursor/embed/");
        assertThat(precursor.detectedAtStep()).isBetween(601L, 619L);
        assertThat(precursor.rollbackToStep()).isEqualTo(600);
        assertThat(precursor.summary()).contains("'embed'").contains("decades").contains("keep checkpoint 600");
        assertThat(precursor.details()).containsKeys("collapse_decades", "update_rms_over_lr", "adam_eps");
        assertThat(alerts.get(1).step()).isEqualTo(620);
        assertThat(alerts.get(3).detectedAtStep()).isGreaterThanOrEqualTo(660);
        assertThat(f.scrape()).contains("runwatch_group_grad_norm{group=\"embed\",run=\"adam\"} ",
                "runwatch_group_update_rms_over_lr{group=\"embed\",run=\"adam\"} ");
    }

    @Test
    void aStepGoingBackRewindsOnceAndTheReplayedStepsDoNotAlertAgain() {
        TopologyFixture f = start();
        Trainer trainer = new Trainer(f, "rewound", 600, 8).spike(451, 0.30, 2, 8);
        trainer.send(1, 520);
        assertThat(f.alerts()).extracting(Alert::type, Alert::state).containsExactly(
                tuple(AlertType.loss_spike, AlertState.firing), tuple(AlertType.loss_spike, AlertState.resolved));

        trainer.send(401, 600); // the job crashed at 520 and came back from checkpoint 400, same data order
        List<Alert> replay = trainingAlerts(f.alerts());
        assertThat(replay).extracting(Alert::type, Alert::severity, Alert::state).containsExactly(
                tuple(AlertType.run_rewound, Severity.info, AlertState.firing),
                tuple(AlertType.run_rewound, Severity.info, AlertState.resolved));
        Alert rewound = replay.get(0);
        assertThat(rewound.step()).isEqualTo(400);
        assertThat(rewound.id()).isEqualTo("rewound/run_rewound/from-520/400");
        assertThat(rewound.summary()).contains("from step 520 to step 400").contains("step went back");
    }

    @Test
    void aStartEventResumingFromACheckpointRewindsAndTheBaselineSurvivesTheRestart() {
        TopologyFixture f = start();
        // The spike comes only after the restart, 50 records in: inside a fresh warm-up, so only the kept
        // baseline can see it.
        Trainer trainer = new Trainer(f, "resumed", 800, 9).spike(751, 0.25, 3, 5);
        trainer.send(1, 740);
        f.event("resumed", "{\"run\":\"resumed\",\"type\":\"start\",\"config\":{\"resumed_from_step\":700}}",
                trainer.tick() + 600_000);
        trainer.send(701, 800);
        List<Alert> alerts = trainingAlerts(f.alerts());
        assertThat(alerts).extracting(Alert::type, Alert::severity, Alert::state, Alert::step).containsExactly(
                tuple(AlertType.run_rewound, Severity.info, AlertState.firing, 700L),
                tuple(AlertType.run_rewound, Severity.info, AlertState.resolved, 700L),
                tuple(AlertType.loss_spike, Severity.ticket, AlertState.firing, 751L),
                tuple(AlertType.loss_spike, Severity.ticket, AlertState.resolved, 751L));
        assertThat(alerts.get(0).summary()).contains("restart resumed from step 700");
        assertThat(alerts.get(2).rollbackToStep()).isEqualTo(700);
    }

    @Test
    void duplicatedAndSlightlyReorderedRecordsChangeNothing() {
        TopologyFixture f = start();
        // The spike lies between two dropped late records (417, 467): a record missing inside an episode may
        // move its resolve by a logged step, which is not what this test is about.
        Trainer clean = new Trainer(f, "clean", 500, 10).spike(431, 0.30, 3, 8);
        clean.send(1, 500);
        Trainer messy = new Trainer(f, "messy", 500, 10).spike(431, 0.30, 3, 8);
        for (int step = 1; step <= 500; step++) {
            if (step % 50 == 17) {
                messy.send(step + 1, step + 1); // overtakes its predecessor, which arrives late and is dropped
                messy.send(step, step);
                messy.send(step + 1, step + 1); // a producer retry
                step++;
            } else {
                messy.send(step, step);
                messy.send(step, step); // every record twice
            }
        }
        // All alerts, liveness included: a late record is neither a spike nor a restart.
        List<Alert> alerts = f.alerts();
        List<Alert> ofClean = alerts.stream().filter(a -> a.run().equals("clean")).toList();
        List<Alert> ofMessy = alerts.stream().filter(a -> a.run().equals("messy")).toList();
        assertThat(ofClean).extracting(Alert::type, Alert::state).containsExactly(
                tuple(AlertType.loss_spike, AlertState.firing), tuple(AlertType.loss_spike, AlertState.resolved));
        assertThat(ofMessy).extracting(Alert::type, Alert::severity, Alert::state, Alert::step,
                        Alert::detectedAtStep, Alert::rollbackToStep)
                .containsExactlyElementsOf(ofClean.stream().map(a -> tuple(a.type(), a.severity(), a.state(),
                        a.step(), a.detectedAtStep(), a.rollbackToStep())).toList());
    }

    @Test
    void noStatisticalAlertDuringTheWarmUpButANaNStillPages() {
        TopologyFixture f = start(Settings.defaults().with(Settings.TRAINING_WARMUP_STEPS, 100));
        Trainer early = new Trainer(f, "early", 200, 11).spike(70, 0.5, 5, 5);
        early.send(1, 90);
        f.metric("early", "{\"run\":\"early\",\"step\":91,\"loss\":NaN,\"grad_norm\":1.0}", early.tick());
        early.send(92, 200);
        assertThat(f.alerts()).extracting(Alert::type, Alert::severity, Alert::state).containsExactly(
                tuple(AlertType.nonfinite, Severity.page, AlertState.firing),
                tuple(AlertType.nonfinite, Severity.page, AlertState.resolved));
    }

    @Test
    void theSameSpikeAfterTheWarmUpTickets() {
        TopologyFixture f = start(Settings.defaults().with(Settings.TRAINING_WARMUP_STEPS, 50));
        new Trainer(f, "early", 200, 11).spike(70, 0.5, 5, 5).send(1, 200);
        assertThat(f.alerts()).extracting(Alert::type, Alert::severity, Alert::state, Alert::step).containsExactly(
                tuple(AlertType.loss_spike, Severity.ticket, AlertState.firing, 70L),
                tuple(AlertType.loss_spike, Severity.ticket, AlertState.resolved, 70L));
    }

    private static List<Alert> trainingAlerts(List<Alert> alerts) {
        return alerts.stream().filter(a -> TRAINING_TYPES.contains(a.type())).toList();
    }

    /**
     * A seeded trainer: a power-law loss curve with 0.5% noise, a gradient norm with 5% noise, a checkpoint
     * event every 100 steps, one record per step; its clock moves 1 s per record whatever the step does.
     */
    private static final class Trainer {
        private final TopologyFixture fixture;
        private final String run;
        private final double[] logLoss;
        private final double[] logGradNorm;
        private final double[] embedCollapse;
        private final double[] embedRms;
        private final Random random;
        private long clock = T0;

        Trainer(TopologyFixture fixture, String run, int steps, long seed) {
            this.fixture = fixture;
            this.run = run;
            this.random = new Random(seed);
            logLoss = new double[steps + 1];
            logGradNorm = new double[steps + 1];
            embedCollapse = new double[steps + 1];
            embedRms = new double[steps + 1];
            for (int step = 1; step <= steps; step++) {
                logLoss[step] = Math.log(2.5 + 7 / Math.pow(1 + step / 300.0, 0.7)) + 0.005 * random.nextGaussian();
                logGradNorm[step] = Math.log(0.5) + 0.05 * random.nextGaussian();
                embedRms[step] = 0.3 + 0.02 * random.nextGaussian();
            }
            embedCollapse[0] = Double.NaN; // marks "no groups" until precursor() is called
        }

        /** A loss spike of relative {@code height} at {@code at}: held {@code hold} steps, then a linear way back. */
        Trainer spike(int at, double height, int hold, int recovery) {
            double h = Math.log1p(height);
            for (int k = 0; k <= hold && at + k < logLoss.length; k++) {
                logLoss[at + k] += h;
            }
            for (int k = 1; k <= recovery && at + hold + k < logLoss.length; k++) {
                logLoss[at + hold + k] += h * (1 - k / (double) (recovery + 1));
            }
            return this;
        }

        /** The global gradient norm × {@code ratio} for {@code length} steps from {@code at}. */
        Trainer gradJump(int at, double ratio, int length) {
            for (int step = at; step < at + length && step < logGradNorm.length; step++) {
                logGradNorm[step] += Math.log(ratio);
            }
            return this;
        }

        /** The "embed" group's gradient norm collapses and its updates turn sign-like, until {@code healthyAt}. */
        Trainer precursor(int from, int over, int healthyAt) {
            embedCollapse[0] = 0;
            for (int step = from; step < healthyAt && step < logLoss.length; step++) {
                double progress = Math.min(1.0, (step - from + 1) / (double) over);
                embedCollapse[step] = -3 * Math.log(10) * progress;
                embedRms[step] += 0.67 * progress;
            }
            return this;
        }

        long tick() {
            clock += 1000;
            return clock;
        }

        /** Writes steps {@code from..to} as the trainer would, with the checkpoint events among them. */
        void send(int from, int to) {
            for (int step = from; step <= to; step++) {
                long time = tick();
                StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                        "{\"run\":\"%s\",\"step\":%d,\"time\":%d,\"loss\":%.6f,\"grad_norm\":%.5f,\"lr\":0.0003",
                        run, step, time, Math.exp(logLoss[step]), Math.exp(logGradNorm[step])));
                if (!Double.isNaN(embedCollapse[0])) {
                    json.append(String.format(Locale.ROOT, ",\"groups\":{\"embed\":{\"grad_norm\":%.6g,"
                                    + "\"update_rms_over_lr\":%.4f},\"mlp\":{\"grad_norm\":0.2,\"update_rms_over_lr\":0.3}}",
                            0.2 * Math.exp(0.1 * random.nextGaussian() + embedCollapse[step]), embedRms[step]));
                }
                fixture.metric(run, json.append('}').toString(), time);
                if (step % 100 == 0) {
                    fixture.event(run, String.format(Locale.ROOT,
                            "{\"run\":\"%s\",\"type\":\"checkpoint\",\"step\":%d,\"time\":%d}", run, step, time + 1),
                            time + 1);
                }
            }
        }
    }
}
