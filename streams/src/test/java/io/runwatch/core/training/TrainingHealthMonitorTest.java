package io.runwatch.core.training;

import static io.runwatch.core.training.TrainingTestRuns.RUN;
import static io.runwatch.core.training.TrainingTestRuns.curve;
import static io.runwatch.core.training.TrainingTestRuns.point;
import static io.runwatch.core.training.TrainingTestRuns.spike;
import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertState;
import io.runwatch.core.AlertType;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunConfig;
import io.runwatch.core.RunEvent;
import io.runwatch.core.Severity;
import io.runwatch.core.training.TrainingTestRuns.Driver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class TrainingHealthMonitorTest {

    @Nested
    class NonFinite {
        @Test
        void pagesAtOnceEvenDuringWarmupAndResolvesWhenFinite() {
            Driver d = new Driver();
            d.feed(curve(10, 1, 0.005, 1), 1, 0);
            List<Alert> atNaN = d.metric(MetricPoint.ofLoss(RUN, 11, 0, Double.NaN));
            d.metric(MetricPoint.ofLoss(RUN, 12, 0, Double.NaN));
            List<Alert> back = d.metric(MetricPoint.ofLoss(RUN, 13, 0, 3.0));

            assertThat(atNaN).singleElement().satisfies(a -> {
                assertThat(a.type()).isEqualTo(AlertType.nonfinite);
                assertThat(a.severity()).isEqualTo(Severity.page);
                assertThat(a.step()).isEqualTo(11);
                assertThat(a.rollbackToStep()).isEqualTo(10L);
            });
            assertThat(back).singleElement().satisfies(a -> {
                assertThat(a.state()).isEqualTo(AlertState.resolved);
                assertThat(a.id()).isEqualTo(atNaN.get(0).id());
            });
        }

        @Test
        void infiniteGradientNormPagesToo() {
            Driver d = new Driver();
            d.event(RunEvent.start(RUN, 0, RunConfig.ofPrecision("bf16"))); // no loss scaler: a real fault
            d.feed(curve(100, 1, 0.005, 2), 1, 0);
            List<Alert> out = d.metric(point(101, Math.log(3)).withGradNorm(Double.POSITIVE_INFINITY));
            assertThat(out).singleElement().satisfies(a -> {
                assertThat(a.type()).isEqualTo(AlertType.nonfinite);
                assertThat(a.metric()).isEqualTo("grad_norm");
            });
        }

        /** Regression: nanoGPT issue #215, fp16. The 7% bump at 3000 is only the 9th record: warm-up. */
        @Test
        void nanoGptIssue215OnlyPagesTheNaNAt3010() throws IOException {
            Driver d = new Driver();
            try (InputStream in = getClass().getResourceAsStream("/training/nanogpt_issue215_fp16_nan.jsonl")) {
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                Matcher m = Pattern.compile("\"step\": (\\d+), \"loss\": ([0-9.]+|NaN)").matcher(text);
                while (m.find()) {
                    long step = Long.parseLong(m.group(1));
                    double loss = m.group(2).equals("NaN") ? Double.NaN : Double.parseDouble(m.group(2));
                    d.metric(MetricPoint.ofLoss("nanogpt-issue215-gpt2-124M-fp16", step, step, loss));
                }
            }
            assertThat(d.alerts).singleElement().satisfies(a -> {
                assertThat(a.type()).isEqualTo(AlertType.nonfinite);
                assertThat(a.severity()).isEqualTo(Severity.page);
                assertThat(a.step()).isEqualTo(3010);
            });
        }
    }

    @Nested
    class LossSpikes {
        @Test
        void multiStepSpikeTicketsOnceAtOnsetWithEvidenceAndResolvesOnce() {
            double[] loss = curve(800, 1, 0.006, 3);
            spike(loss, 600, 0.25, 3, 8, 0);
            Driver d = new Driver().feed(loss, 1, 200);

            assertThat(d.firing(AlertType.loss_spike)).singleElement().satisfies(a -> {
                assertThat(a.severity()).isEqualTo(Severity.ticket);
                assertThat(a.step()).isEqualTo(601);
                assertThat(a.detectedAtStep()).isLessThanOrEqualTo(603);
                assertThat(a.rollbackToStep()).isEqualTo(600L);
                assertThat(a.details()).containsKeys("height", "baseline_loss", "z");
                assertThat((Double) a.details().get("height")).isBetween(0.18, 0.35);
                assertThat(a.summary()).contains("step 601").contains("600");
            });
            assertThat(d.resolved(AlertType.loss_spike)).singleElement()
                    .satisfies(a -> assertThat(a.summary()).contains("back to its pre-spike level"));
            assertThat(d.firing(AlertType.divergence)).isEmpty();
        }

        @Test
        void oneStepOutlierIsCountedAsInfoNotTicket() {
            double[] loss = curve(400, 1, 0.006, 4);
            loss[300] += Math.log(1.4);
            Driver d = new Driver().feed(loss, 1, 0);

            assertThat(d.actionable()).isEmpty();
            assertThat(d.firing(AlertType.loss_spike)).singleElement().satisfies(a -> {
                assertThat(a.severity()).isEqualTo(Severity.info);
                assertThat(a.step()).isEqualTo(301);
            });
            assertThat(TrainingHealthMonitor.lossSpikesTotal(d.state)).isEqualTo(1);
            assertThat(TrainingHealthMonitor.lossSpikeRatePer1000(d.state)).isGreaterThan(0);
        }

        @Test
        void risingBadBatchRateTickets() {
            double[] loss = curve(1500, 1, 0.005, 5);
            for (int i = 700; i < loss.length; i += 25) {
                loss[i] += Math.log(1.3);
            }
            Driver d = new Driver().feed(loss, 1, 0);
            assertThat(d.firing(AlertType.loss_spike)).filteredOn(a -> a.severity() == Severity.ticket)
                    .singleElement().satisfies(a -> assertThat(a.metric()).isEqualTo("loss_spike_rate"));
        }

        @Test
        void spikesAreFoundInLogsWrittenEveryTenSteps() {
            double[] loss = curve(300, 10, 0.004, 6);
            spike(loss, 200, 0.12, 2, 5, 0);
            Driver d = new Driver().feed(loss, 10, 0);
            assertThat(d.firing(AlertType.loss_spike)).singleElement().satisfies(a -> {
                assertThat(a.step()).isEqualTo(2010);
                assertThat(a.detectedAtStep()).isLessThanOrEqualTo(2030);
            });
        }
    }

    /**
     * Spikes of a few percent that rise over several logged steps in noise of about 1%: under one sigma per
     * logged step, the rise is partly absorbed by the baseline's trend before two points stand the minimum rise
     * over it; the cumulative rise test measures it against the baseline frozen where it began.
     */
    @Nested
    class SlowRises {
        private static final TrainingSettings WITHOUT_RISE_TEST = withCumulativeZ(1000);
        /** Measured over the 100 seeds below (42 without the rise test), pinned so that a weaker rule fails. */
        private static final int TICKETED_SLOW_SPIKES = 89;
        /** Measured: 2 without the rise test, 8 if the extrapolated pre-rise slope were taken at its word. */
        private static final int LEVEL_SHIFT_TICKETS = 5;

        /** +7% over 10 logged steps, hold 2, linear fall over 60, in 0.9% noise: 0.7% (0.8 sigma) per step. */
        private static double[] slowSmallSpike(long seed) {
            double[] loss = curve(800, 1, 0.009, seed);
            double height = Math.log1p(0.07);
            for (int k = 1; k <= 10; k++) {
                loss[499 + k] += height * k / 10;
            }
            for (int k = 1; k <= 2; k++) {
                loss[509 + k] += height;
            }
            for (int k = 1; k <= 60; k++) {
                loss[511 + k] += height * (1 - k / 60.0);
            }
            return loss;
        }

        @Test
        void slowSmallSpikesAreTicketedAsSlowRisesAndNeverPaged() {
            int ticketed = 0;
            int ticketedWithoutTheTest = 0;
            int bySlowRise = 0;
            for (long seed = 100; seed < 200; seed++) {
                Driver d = new Driver().feed(slowSmallSpike(seed), 1, 200);
                List<Alert> tickets = d.firing(AlertType.loss_spike).stream()
                        .filter(a -> a.severity() == Severity.ticket).toList();
                assertThat(tickets).as("seed %d: %s", seed, d.alerts).hasSizeLessThanOrEqualTo(1)
                        .allSatisfy(a -> assertThat(a.step()).isBetween(490L, 515L));
                assertThat(d.firing(AlertType.divergence)).as("seed %d: %s", seed, d.alerts).isEmpty();
                ticketed += tickets.size();
                bySlowRise += tickets.stream().filter(a -> a.summary().contains("a slow rise over")).count();
                ticketedWithoutTheTest += new Driver(WITHOUT_RISE_TEST).feed(slowSmallSpike(seed), 1, 200)
                        .firing(AlertType.loss_spike).stream().anyMatch(a -> a.severity() == Severity.ticket) ? 1 : 0;
            }
            assertThat(ticketed).isGreaterThanOrEqualTo(TICKETED_SLOW_SPIKES);
            assertThat(bySlowRise).isPositive();
            assertThat(ticketedWithoutTheTest).isLessThan(ticketed);
        }

        /** A 3% level shift in 1% noise: two points over 4% come by chance, four with a mean over 4.5% do not. */
        @Test
        void threePercentLevelShiftInOnePercentNoiseIsNotARise() {
            int tickets = 0;
            for (long seed = 100; seed < 200; seed++) {
                double[] loss = curve(800, 1, 0.01, seed);
                for (int i = 500; i < loss.length; i++) {
                    loss[i] += Math.log(1.03);
                }
                Driver d = new Driver().feed(loss, 1, 200);
                assertThat(d.firing(AlertType.divergence)).as("seed %d: %s", seed, d.alerts).isEmpty();
                tickets += (int) d.firing(AlertType.loss_spike).stream()
                        .filter(a -> a.severity() == Severity.ticket).count();
            }
            assertThat(tickets).isLessThanOrEqualTo(LEVEL_SHIFT_TICKETS);
        }

        /**
         * An LR step decay (-5%, then -4%) and the end of a steep stretch: Holt's trend overshoots after the drop,
         * and a flat loss measured against a slope extrapolated from the fall reads as a rise; the test waits for
         * the baseline to settle after a drop and asks the loss itself to have gone up.
         */
        @Test
        void lrDecayAndAFlatteningSlopeAreNoRise() {
            for (long seed = 100; seed < 200; seed++) {
                double[] loss = curve(1200, 1, 0.009, seed);
                for (int i = 500; i < loss.length; i++) {
                    loss[i] += Math.log(0.95) + (i >= 900 ? Math.log(0.96) : 0);
                }
                for (int i = 700; i < 760; i++) {
                    loss[i] -= 0.001 * (i - 700); // a steeper stretch, then the old slope again
                }
                for (int i = 760; i < loss.length; i++) {
                    loss[i] -= 0.06;
                }
                Driver d = new Driver().feed(loss, 1, 200);
                assertThat(d.actionable()).as("seed %d", seed).isEmpty();
            }
        }
    }


    @Nested
    class Divergence {
        /** Measured over the seeds of the test below, pinned so that a weaker rule fails. */
        private static final int INCOMPLETE_PAGED = 34;
        @Test
        void spikeThatDoesNotComeBackEscalatesInOrder() {
            double[] loss = curve(800, 1, 0.006, 7);
            spike(loss, 500, 0.4, 400, 0, 0);
            Driver d = new Driver().feed(loss, 1, 200);

            Alert spikeFiring = d.firing(AlertType.loss_spike).get(0);
            int resolvedAt = d.alerts.indexOf(d.resolved(AlertType.loss_spike).get(0));
            Alert page = d.alerts.get(resolvedAt + 1);
            assertThat(d.alerts.get(resolvedAt).summary()).contains("escalated to divergence");
            assertThat(page.type()).isEqualTo(AlertType.divergence);
            assertThat(page.severity()).isEqualTo(Severity.page);
            assertThat(page.relatedId()).isEqualTo(spikeFiring.id());
            assertThat(page.step()).isEqualTo(501);
            assertThat(page.rollbackToStep()).isEqualTo(400L);
            assertThat(page.detectedAtStep()).isLessThanOrEqualTo(501 + 52);
        }

        @Test
        void climbingLossPagesBeforeTheRecoveryWindowEnds() {
            double[] loss = curve(800, 1, 0.006, 8);
            for (int i = 500; i < loss.length; i++) {
                loss[i] += Math.log(1.2) + 0.01 * (i - 500);
            }
            Driver d = new Driver().feed(loss, 1, 200);
            assertThat(d.firing(AlertType.divergence)).singleElement().satisfies(a -> {
                // Judged from 16 logged steps after the onset (the longest benign rise, 12, plus half the window).
                assertThat(a.detectedAtStep()).isLessThanOrEqualTo(501 + 16);
                assertThat(a.summary()).contains("keeps climbing");
            });
        }

        /**
         * A jump of 80 % that stays and keeps creeping up (0.1 % of log-loss per step): every few steps sets a new
         * high, which must not restart the progress measurement once the longest benign rise is over, or it never
         * pages (the end-to-end divergence run did exactly this).
         */
        @Test
        void jumpThatStaysAndCreepsUpPages() {
            double[] loss = curve(800, 1, 0.01, 7);
            for (int i = 500; i < loss.length; i++) {
                loss[i] += Math.log(1.8) + 0.001 * (i - 500);
            }
            Driver d = new Driver().feed(loss, 1, 200);
            assertThat(d.firing(AlertType.divergence)).singleElement()
                    .satisfies(a -> assertThat(a.detectedAtStep()).isLessThanOrEqualTo(501 + 100));
        }

        /**
         * Benign spikes that rise over several steps, stay up a while and come back slowly, in heavy-tailed
         * noise with outliers on the way down: the steady-rise rule must not mistake them for divergence.
         */
        @Test
        void slowRisingSlowRecoveringSpikesInHeavyTailedNoiseDoNotPage() {
            for (long seed = 40; seed < 70; seed++) {
                Random random = new Random(seed);
                double[] loss = curve(800, 1, 0.004, seed);
                for (int i = 0; i < loss.length; i++) {
                    loss[i] += 0.004 * random.nextGaussian() / Math.sqrt(Math.max(0.05, chiSquare(random, 3) / 3));
                }
                int rise = 2 + (int) (seed % 5);
                double height = Math.log1p(0.2 + 0.8 * random.nextDouble());
                for (int k = 1; k <= rise; k++) {
                    loss[499 + k] += height * k / rise;
                }
                spike(loss, 500 + rise, Math.expm1(height), (int) (seed % 8), 20, 0);
                loss[520 + (int) (seed % 10)] += Math.log(1.3); // a bad batch on the way down
                Driver d = new Driver().feed(loss, 1, 200);
                assertThat(d.firing(AlertType.divergence)).as("seed %d", seed).isEmpty();
                assertThat(d.firing(AlertType.loss_spike)).as("seed %d", seed)
                        .filteredOn(a -> a.severity() == Severity.ticket).hasSize(1);
            }
        }

        /**
         * Late in a run the pre-spike slope is tiny and Holt's estimate of it noisy; extrapolated over the
         * recovery window, a too-steep one put the expected loss a sigma low, so a recovered loss looked stuck up
         * and paged "incomplete recovery" (here on seed 184; once in eight synthetic suites).
         */
        @Test
        void lateSpikesThatRecoverDoNotPageOnANoisyTrend() {
            for (long seed = 100; seed < 300; seed++) {
                double[] loss = curve(1200, 10, 0.009, seed);
                double height = Math.log1p(0.2);
                for (int k = 1; k <= 3; k++) {
                    loss[976 + k] += height * k / 3;
                }
                spike(loss, 980, 0.2, 2, 20, 0);
                Driver d = new Driver().feed(loss, 10, 200);
                assertThat(d.firing(AlertType.divergence)).as("seed %d", seed).isEmpty();
                assertThat(d.resolved(AlertType.loss_spike)).as("seed %d", seed).singleElement()
                        .satisfies(a -> assertThat(a.summary()).contains("back to its pre-spike level"));
            }
        }

        /**
         * A +13% spike that rises over 12 logged steps, holds 4 and falls linearly over 228 in 1% noise: judged at
         * every logged step, a fit over a few blocks of noise looks "climbing again" by chance somewhere in so long
         * a recovery; the verdict must hold over fresh data before it pages (the widened suite paged one such;
         * without the confirmation, seed 472 here pages "climbing again" 35 logged steps after the onset).
         */
        @Test
        void longLinearRecoveryInNoiseIsNotPagedOnAChanceFit() {
            int ticketed = 0;
            for (long seed = 100; seed < 500; seed++) {
                double[] loss = curve(800, 1, 0.01, seed);
                double height = Math.log1p(0.13);
                for (int k = 1; k <= 12; k++) {
                    loss[226 + k] += height * k / 12;
                }
                for (int k = 1; k <= 4; k++) {
                    loss[238 + k] += height;
                }
                for (int k = 1; k <= 228; k++) {
                    loss[242 + k] += height * (1 - k / 228.0);
                }
                Driver d = new Driver().feed(loss, 1, 200);
                ticketed += d.firing(AlertType.loss_spike).stream().anyMatch(a -> a.severity() == Severity.ticket)
                        ? 1 : 0;
                assertThat(d.firing(AlertType.divergence)).as("seed %d: %s", seed, d.alerts).isEmpty();
            }
            // A rise this slow in this much noise is not always ticketed (the baseline absorbs part of it).
            assertThat(ticketed).isGreaterThanOrEqualTo(300);
        }

        /**
         * A bad batch right after a noisy point of a 3% level shift confirms a "spike" (a ticket, rare); the loss
         * then stays 3% up. Nothing came down, so it is never paged as incomplete recovery: it is resolved as a
         * level shift, or, 180 logged steps on, as back at its trend (the pre-spike slope extrapolated that far is
         * uncertain by about as much as the shift).
         */
        @Test
        void badBatchOnAThreePercentLevelShiftDoesNotPage() {
            double[] loss = curve(800, 1, 0.004, 13);
            for (int i = 500; i < loss.length; i++) {
                loss[i] += Math.log(1.03);
            }
            loss[503] += Math.log(1.025); // just over the minimum rise
            loss[504] += Math.log(1.2);  // a bad batch
            Driver d = new Driver().feed(loss, 1, 200);

            assertThat(d.firing(AlertType.loss_spike)).filteredOn(a -> a.severity() == Severity.ticket)
                    .singleElement().satisfies(a -> assertThat(a.step()).isEqualTo(501));
            assertThat(d.firing(AlertType.divergence)).isEmpty();
            // Resolved as a level shift or as back at its trend, or still an open ticket: never a page.
            assertThat(d.resolved(AlertType.loss_spike)).filteredOn(a -> a.severity() == Severity.ticket)
                    .allSatisfy(a -> assertThat(a.summary()).containsAnyOf("level shift", "back to its pre-spike"));
        }

        /**
         * Came down part of the way and stopped 10% up (20 noise sigmas): it pages once it comes back four times
         * slower than it fell, a few dozen logged steps after the fall, and reports the gap. (A 4% residual here
         * is read as recovered after ~150 steps: the pre-spike trend is extrapolated conservatively.)
         */
        @Test
        void incompleteRecoveryReportsTheGap() {
            double[] loss = curve(800, 1, 0.005, 9);
            spike(loss, 500, 0.3, 2, 10, 0.10);
            Driver d = new Driver().feed(loss, 1, 200);
            assertThat(d.firing(AlertType.divergence)).as(d.alerts.toString()).singleElement().satisfies(a -> {
                assertThat(a.summary()).contains("not coming back");
                assertThat(a.detectedAtStep()).isLessThanOrEqualTo(501 + 60);
                assertThat((Double) a.details().get("recovery_gap")).isBetween(0.05, 0.15);
            });
        }

        /**
         * A +35% spike that comes down in 10 logged steps and settles 3.5% up in 0.9% noise (about 4 sigma): judged
         * at every logged step, a fit of the plateau dips within the 3-sigma band by chance, so "recovered" must
         * hold with the fit's standard errors against it (34 of these 40 page; without the errors, 26).
         */
        @Test
        void incompleteRecoveryAFewSigmasUpIsNotReadAsRecoveredByChance() {
            int paged = 0;
            for (long seed = 100; seed < 140; seed++) {
                double[] loss = curve(1000, 1, 0.009, seed);
                spike(loss, 500, 0.35, 2, 10, 0.035);
                Driver d = new Driver().feed(loss, 1, 200);
                paged += d.firing(AlertType.divergence).isEmpty() ? 0 : 1;
            }
            assertThat(paged).isGreaterThanOrEqualTo(INCOMPLETE_PAGED);
        }

        @Test
        void slowDriftPagesWithoutAnySpike() {
            double[] loss = curve(1200, 1, 0.006, 10);
            for (int i = 600; i < loss.length; i++) {
                loss[i] += 0.001 * (i - 600);
            }
            Driver d = new Driver().feed(loss, 1, 200);
            assertThat(d.firing(AlertType.loss_spike)).filteredOn(a -> a.severity() != Severity.info).isEmpty();
            assertThat(d.firing(AlertType.divergence)).singleElement()
                    .satisfies(a -> assertThat(a.summary()).contains("slowly diverging"));
        }
    }

    @Nested
    class HardNegatives {
        @Test
        void threePercentLevelShiftLrDecayAndHeavyTailsDoNotAlert() {
            double[] loss = curve(1500, 1, 0.006, 11);
            Random random = new Random(11);
            for (int i = 0; i < loss.length; i++) {
                double t = random.nextGaussian() / Math.sqrt(Math.max(0.05, chiSquare(random, 3) / 3));
                loss[i] += 0.004 * t
                        + (i >= 500 ? Math.log(1.03) : 0)   // data mix changes
                        + (i >= 1000 ? Math.log(0.94) : 0); // LR step decay
            }
            Driver d = new Driver().feed(loss, 1, 200);
            assertThat(d.actionable()).isEmpty();
        }

        @Test
        void duplicatesAndSmallReorderingChangeNothing() {
            double[] loss = curve(700, 1, 0.006, 12);
            spike(loss, 500, 0.3, 2, 8, 0);
            Driver clean = new Driver().feed(loss, 1, 0);
            Driver messy = new Driver();
            for (int i = 0; i < loss.length; i++) {
                if (i % 50 == 7 && i + 1 < loss.length) {
                    messy.metric(point(i + 2, loss[i + 1])); // the next record overtakes this one
                    messy.metric(point(i + 1, loss[i]));     // late: dropped
                    messy.metric(point(i + 2, loss[i + 1])); // duplicate: dropped
                    i++;
                    continue;
                }
                messy.metric(point(i + 1, loss[i]));
            }
            assertThat(messy.actionable()).extracting(Alert::type, Alert::step)
                    .containsExactlyElementsOf(clean.actionable().stream()
                            .map(a -> org.assertj.core.groups.Tuple.tuple(a.type(), a.step())).toList());
            assertThat(messy.firing(AlertType.run_rewound)).isEmpty();
        }
    }

    @Nested
    class Rewinds {
        @Test
        void stepGoingBackRewindsOnceAndReplayIsQuiet() {
            double[] first = curve(1000, 1, 0.006, 13);
            double[] replay = curve(1000, 1, 0.006, 14);
            Driver d = new Driver().feed(first, 1, 100);
            d.feed(replay, 1, 100, 700, 1000);

            assertThat(d.firing(AlertType.run_rewound)).singleElement().satisfies(a -> {
                assertThat(a.severity()).isEqualTo(Severity.info);
                assertThat(a.step()).isEqualTo(700);
            });
            assertThat(d.actionable()).isEmpty();
        }

        @Test
        void resumedStartEventRewindsAndTheBaselineSurvives() {
            double[] first = curve(1000, 1, 0.006, 15);
            double[] replay = curve(1000, 1, 0.006, 16);
            spike(replay, 750, 0.2, 3, 5, 0);
            Driver d = new Driver().feed(first, 1, 100);
            d.event(RunEvent.start(RUN, 2_000_000_000L, RunConfig.resumedFrom(700)));
            d.feed(replay, 1, 100, 700, 1000);

            assertThat(d.firing(AlertType.run_rewound)).hasSize(1);
            // 50 records after the restart: still inside a fresh warm-up, so only a kept baseline can see it.
            assertThat(d.firing(AlertType.loss_spike)).filteredOn(a -> a.severity() == Severity.ticket)
                    .singleElement().satisfies(a -> assertThat(a.step()).isEqualTo(751));
        }

        @Test
        void rewindClosesEpisodesThatBeganAfterIt() {
            double[] loss = curve(900, 1, 0.006, 17);
            spike(loss, 890, 0.5, 40, 0, 0); // ten logged steps: still a spike, not yet "not recovering"
            Driver d = new Driver().feed(loss, 1, 100);
            String open = d.firing(AlertType.loss_spike).get(0).id();
            List<Alert> out = d.event(RunEvent.start(RUN, 2_000_000_000L, RunConfig.resumedFrom(800)));

            assertThat(out).extracting(Alert::type, Alert::state).containsExactly(
                    org.assertj.core.groups.Tuple.tuple(AlertType.loss_spike, AlertState.resolved),
                    org.assertj.core.groups.Tuple.tuple(AlertType.run_rewound, AlertState.firing),
                    org.assertj.core.groups.Tuple.tuple(AlertType.run_rewound, AlertState.resolved));
            assertThat(out.get(0).id()).isEqualTo(open);
            assertThat(out.get(0).summary()).contains("rewound to step 800");
        }
    }

    @Nested
    class GradientNorm {
        private Driver feedWithGrad(double[] loss, double[] logGrad) {
            Driver d = new Driver();
            for (int i = 0; i < loss.length; i++) {
                d.metric(point(i + 1, loss[i]).withGradNorm(Math.exp(logGrad[i])));
            }
            return d;
        }

        private double[] grad(int n, long seed) {
            Random random = new Random(seed);
            double[] g = new double[n];
            for (int i = 0; i < n; i++) {
                g[i] = Math.log(0.5) + 0.08 * random.nextGaussian();
            }
            return g;
        }

        @Test
        void persistentJumpTicketsAndResolves() {
            double[] g = grad(600, 18);
            for (int i = 400; i < 420; i++) {
                g[i] += Math.log(6);
            }
            Driver d = feedWithGrad(curve(600, 1, 0.006, 18), g);
            assertThat(d.firing(AlertType.grad_norm_spike)).singleElement().satisfies(a -> {
                assertThat(a.severity()).isEqualTo(Severity.ticket);
                assertThat(a.step()).isEqualTo(401);
            });
            assertThat(d.resolved(AlertType.grad_norm_spike)).hasSize(1);
        }

        @Test
        void lonelyJumpIsInfo() {
            double[] g = grad(600, 19);
            g[400] += Math.log(8);
            Driver d = feedWithGrad(curve(600, 1, 0.006, 19), g);
            assertThat(d.firing(AlertType.grad_norm_spike)).singleElement()
                    .satisfies(a -> assertThat(a.severity()).isEqualTo(Severity.info));
        }

        @Test
        void shortJumpWithLossSpikeTickets() {
            double[] g = grad(600, 20);
            g[400] += Math.log(8);
            g[401] += Math.log(8);
            double[] loss = curve(600, 1, 0.006, 20);
            spike(loss, 400, 0.3, 3, 5, 0);
            Driver d = feedWithGrad(loss, g);
            assertThat(d.firing(AlertType.grad_norm_spike)).singleElement()
                    .satisfies(a -> assertThat(a.severity()).isEqualTo(Severity.ticket));
        }
    }

    @Nested
    class AdamPrecursor {
        private Driver run(boolean collapse, boolean signLike, int healthyFrom) {
            double[] loss = curve(900, 1, 0.005, 21);
            Random random = new Random(21);
            Driver d = new Driver();
            d.event(RunEvent.start(RUN, 0, new RunConfig(null, 1e-8, null, null, null, null, null)));
            for (int i = 0; i < loss.length; i++) {
                double progress = i >= 600 && i < healthyFrom ? Math.min(1, (i - 599) / 40.0) : 0;
                double embedGrad = 0.2 * Math.exp(0.1 * random.nextGaussian()) * (collapse ? Math.pow(10, -3 * progress) : 1);
                double rms = 0.3 + (signLike ? 0.67 * progress : 0) + 0.02 * random.nextGaussian();
                d.metric(TrainingTestRuns.withGroups(point(i + 1, loss[i]), embedGrad, rms));
            }
            return d;
        }

        @Test
        void gradientCollapseWarnsNamingTheGroupAndResolves() {
            Driver d = run(true, false, 700);
            assertThat(d.firing(AlertType.adam_precursor)).singleElement().satisfies(a -> {
                assertThat(a.group()).isEqualTo("embed");
                assertThat(a.severity()).isEqualTo(Severity.ticket);
                assertThat(a.step()).isBetween(601L, 640L);
                assertThat(a.summary()).contains("embed").contains("decades");
                assertThat(a.details()).containsKeys("collapse_decades", "adam_eps");
            });
            assertThat(d.resolved(AlertType.adam_precursor)).singleElement()
                    .satisfies(a -> assertThat(a.group()).isEqualTo("embed"));
        }

        @Test
        void signLikeUpdatesWarn() {
            Driver d = run(false, true, 700);
            assertThat(d.firing(AlertType.adam_precursor)).singleElement().satisfies(a -> {
                assertThat(a.metric()).isEqualTo("update_rms_over_lr");
                assertThat(a.summary()).contains("sign-like");
            });
        }

        @Test
        void healthyGroupsStayQuiet() {
            assertThat(run(false, false, 0).alerts).isEmpty();
        }
    }

    /** The default settings with another {@code training.spike.cumulative.z}. */
    private static TrainingSettings withCumulativeZ(double cumulativeZ) {
        TrainingSettings t = TrainingSettings.defaults();
        return new TrainingSettings(t.warmupSteps(), t.spikeEnterZ(), t.spikeConfirmZ(), t.spikeMinRise(),
                t.recoveryWindowSteps(), t.recoveryProgressSteps(), t.slowDivergenceRise(), t.spikeRateTicketPer1000(),
                t.gradSpikeZ(), t.gradPersistSteps(), t.precursorCollapseDecades(), t.precursorUpdateRms(),
                t.reorderToleranceSteps(), t.snapshotIntervalSteps(), t.spikeMaxRiseSteps(), t.divergenceFastRise(),
                t.recoveryNoiseZ(), cumulativeZ, t.notTraining());
    }

    private static double chiSquare(Random random, int degrees) {
        double sum = 0;
        for (int k = 0; k < degrees; k++) {
            double g = random.nextGaussian();
            sum += g * g;
        }
        return sum;
    }

    @Test
    void rollbackTargetIsTheLastCheckpointBeforeOnsetElseTheLastCalmStep() {
        TrainingState state = new TrainingState();
        state.recentCheckpoints.addAll(List.of(100L, 200L, 300L));
        assertThat(state.rollbackTarget(300, 299)).isEqualTo(200L);
        assertThat(state.rollbackTarget(301, 300)).isEqualTo(300L);
        assertThat(state.rollbackTarget(50, 49)).isEqualTo(49L);
        assertThat(new TrainingState().rollbackTarget(50, -1)).isNull();
    }
}
