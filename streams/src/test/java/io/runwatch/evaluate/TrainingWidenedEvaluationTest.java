package io.runwatch.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.config.Settings;
import io.runwatch.evaluate.TrainingEvaluation.KindScore;
import io.runwatch.evaluate.TrainingEvaluation.Tally;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 13's targets for spikes that take long to come back, on the widened suite over eight seeds (the old
 * suite's rows are pinned by {@link TrainingEvaluationTest}): recall of at least 0.97 in every kind of run (each
 * recovering shape ticketed, each divergence shape paged), no page on any spike that recovers, at most one false
 * ticket per ten clean runs (every false ticket of the suite counts), a median delay to the first ticket of at
 * most two logged steps and a median divergence page at most 60 logged steps after the onset.
 */
class TrainingWidenedEvaluationTest {
    static final double MIN_RECALL = 0.97;
    static final int MAX_PAGES_ON_RECOVERING_SPIKES = 0;
    static final double MAX_FALSE_TICKETS_PER_10_CLEAN_RUNS = 1.0;
    static final double MAX_MEDIAN_FIRST_TICKET = 2.0;
    static final double MAX_MEDIAN_DIVERGENCE_PAGE = 60.0;
    /**
     * What this branch reaches, per kind of run (episodes detected of 256 or 128), so that losing any of it fails:
     * the cumulative rise test tickets 254 of each slow-spike kind (250 and 251 without it; the misses are +5-7%
     * spikes in 0.66-0.86% noise), and one +15% plateau in 0.5% noise reads as a slow recovery.
     */
    static final Map<String, Integer> REACHED = Map.of("slow-spike-linear", 254, "slow-spike-exponential", 254,
            "spike-then-plateau", 127, "spike-then-climb", 128, "spike-then-creep", 128);
    /** False tickets over the 8 seeds, every kind of run (3 on slow-spike runs far from their spike, 2 clean). */
    static final int REACHED_FALSE_TICKETS = 5;

    @Test
    void widenedSuiteMeetsTheTargetsOverEightSeeds() {
        List<KindScore> scores = TrainingEvaluation.widened(new MonitorDetection(Settings.defaults()),
                TrainingEvaluation.WIDENED_SEEDS, false);
        int spikes = 0;
        int divergences = 0;
        int pagesOnRecoveringSpikes = 0;
        int falseTickets = 0;
        int cleanRuns = 0;
        List<Double> firstTicket = new ArrayList<>();
        List<Double> divergencePage = new ArrayList<>();
        for (KindScore k : scores) {
            assertThat(k.suite()).isEqualTo("widened");
            boolean recovers = k.kind().startsWith("slow-spike");
            Tally family = recovers ? k.loss() : k.divergence();
            if (!k.kind().equals("clean")) {
                assertThat(family.labelled).as("%s episodes", k.kind()).isEqualTo(
                        (recovers ? 32 : 16) * TrainingEvaluation.WIDENED_SEEDS);
                assertThat(family.detected).as("%s recall (%s)", k.kind(), recovers ? "ticketed" : "paged")
                        .isGreaterThanOrEqualTo((int) Math.ceil(MIN_RECALL * family.labelled))
                        .isGreaterThanOrEqualTo(REACHED.get(k.kind()));
            }
            spikes += k.loss().labelled;
            divergences += k.divergence().labelled;
            if (recovers) {
                pagesOnRecoveringSpikes += k.total().falsePages;
            }
            falseTickets += k.total().falseTickets;
            cleanRuns += k.cleanRuns();
            firstTicket.addAll(k.loss().delays);
            firstTicket.addAll(k.divergence().firstReportDelays);
            divergencePage.addAll(k.divergence().delays);
        }
        assertThat(spikes).isEqualTo(64 * TrainingEvaluation.WIDENED_SEEDS);
        assertThat(divergences).isEqualTo(48 * TrainingEvaluation.WIDENED_SEEDS);
        assertThat(cleanRuns).isEqualTo(8 * TrainingEvaluation.WIDENED_SEEDS);
        assertThat(pagesOnRecoveringSpikes).as("pages on spikes that recover")
                .isLessThanOrEqualTo(MAX_PAGES_ON_RECOVERING_SPIKES);
        assertThat(10.0 * falseTickets / cleanRuns).as("false tickets per 10 clean runs")
                .isLessThanOrEqualTo(MAX_FALSE_TICKETS_PER_10_CLEAN_RUNS);
        assertThat(falseTickets).as("false tickets").isLessThanOrEqualTo(REACHED_FALSE_TICKETS);
        assertThat(TrainingEvaluation.median(firstTicket)).as("median delay to the first ticket")
                .isLessThanOrEqualTo(MAX_MEDIAN_FIRST_TICKET);
        assertThat(TrainingEvaluation.median(divergencePage)).as("median divergence page after onset")
                .isLessThanOrEqualTo(MAX_MEDIAN_DIVERGENCE_PAGE);
    }
}
