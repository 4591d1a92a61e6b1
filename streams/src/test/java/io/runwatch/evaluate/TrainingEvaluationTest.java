package io.runwatch.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.config.Settings;
import io.runwatch.core.AlertType;
import io.runwatch.evaluate.TrainingEvaluation.Result;
import io.runwatch.evaluate.TrainingEvaluation.Score;
import io.runwatch.evaluate.TrainingEvaluation.Tally;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Quality regression guard: the issue's targets on the seeded synthetic suite (no ../shared needed). */
class TrainingEvaluationTest {

    @Test
    void meetsTheIssueTargetsAndBeatsBothBaselines() {
        // The printed table includes the real logs when ../shared is present; the targets are asserted on the
        // seeded synthetic suite alone, so the test means the same on a fresh clone.
        System.out.println(TrainingEvaluation.run(new MonitorDetection(Settings.defaults()),
                Evaluate.sharedData()).toMarkdown());
        Result result = TrainingEvaluation.evaluate(new MonitorDetection(Settings.defaults()), null);
        Score runwatch = result.of("runwatch");
        Score minimum = result.of(TrainingEvaluation.RUNNING_MIN);
        Score ema = result.of(TrainingEvaluation.EMA);

        for (AlertType family : TrainingEvaluation.FAMILIES) {
            Tally t = runwatch.families().get(family);
            assertThat(t.labelled).as("%s labelled", family).isPositive();
            assertThat(t.recall()).as("%s recall", family).isGreaterThanOrEqualTo(0.95);
        }
        assertThat(runwatch.total().falsePages).isZero();
        assertThat(runwatch.falseTicketsPer10CleanRuns()).isLessThanOrEqualTo(1.0);
        assertThat(runwatch.families().get(AlertType.loss_spike).medianDelay()).isLessThanOrEqualTo(2.0);
        Tally divergence = runwatch.families().get(AlertType.divergence);
        // Climbs page 16 logged steps after the onset (past the longest benign rise), plateaus on progress once
        // the verdict has held over two blocks of fresh data (21 on this draw; the issue's target is 60).
        assertThat(divergence.medianDelay()).isLessThanOrEqualTo(25.0);
        assertThat(TrainingEvaluation.median(divergence.firstReportDelays)).isLessThanOrEqualTo(2.0);
        Tally precursor = runwatch.families().get(AlertType.adam_precursor);
        assertThat(precursor.ahead * 4).isGreaterThanOrEqualTo(precursor.precursorCases * 3);

        for (Score baseline : new Score[] {minimum, ema}) {
            assertThat(runwatch.total().recall()).isGreaterThan(baseline.total().recall());
            assertThat(runwatch.total().falsePages + runwatch.total().falseTickets)
                    .isLessThan(baseline.total().falsePages + baseline.total().falseTickets);
            assertThat(precursor.ahead).isGreaterThan(baseline.families().get(AlertType.adam_precursor).ahead);
        }
    }

    /**
     * The targets must hold on other draws of the same generator, not only the pinned one (the pinned seed and
     * the seven after it): no false page over all draws (seed 20240613's level-shift run, where a bad batch
     * confirms a "spike" on a 3% shift, paged "climbing again" on a noisy fit until the verdict had to hold over
     * fresh data and the level shift was judged on the level's lower bound); over all draws, recall of at least
     * 0.95 in every family and at most one false ticket per ten clean runs.
     */
    @Test
    void targetsHoldOnEightSyntheticDraws() {
        List<Score> scores = TrainingEvaluation.scoresAcrossSeeds(new MonitorDetection(Settings.defaults()), 8);
        int falseTickets = 0;
        int falsePages = 0;
        int cleanRuns = 0;
        for (int i = 0; i < scores.size(); i++) {
            falsePages += scores.get(i).total().falsePages;
            falseTickets += scores.get(i).total().falseTickets;
            cleanRuns += scores.get(i).cleanRuns();
        }
        assertThat(falsePages).as("false pages over eight draws").isZero();
        for (AlertType family : TrainingEvaluation.FAMILIES) {
            int labelled = scores.stream().mapToInt(s -> s.families().get(family).labelled).sum();
            int detected = scores.stream().mapToInt(s -> s.families().get(family).detected).sum();
            assertThat(detected).as("%s recall over eight draws", family).isGreaterThanOrEqualTo(
                    (int) Math.ceil(0.95 * labelled));
        }
        assertThat(10.0 * falseTickets / cleanRuns).as("false tickets per 10 clean runs").isLessThanOrEqualTo(1.0);
        int detected = scores.stream().mapToInt(s -> s.total().detected).sum();
        assertThat(detected).as("episodes detected over eight draws (what this branch reaches)")
                .isGreaterThanOrEqualTo(REACHED_DETECTED);
        assertThat(falseTickets).as("false tickets over eight draws").isLessThanOrEqualTo(REACHED_FALSE_TICKETS);
    }

    /**
     * Reached over the eight draws: 808 of 816 (806 until "recovered" had to hold with the fit's standard errors
     * against it, which pages 2 of the 3 incomplete recoveries 3.3-4.2% up), 3 false tickets on 192 clean runs.
     */
    private static final int REACHED_DETECTED = 808;
    private static final int REACHED_FALSE_TICKETS = 3;

    /** At runwatch's false-alert budget the baselines' rules find less, and later, in every family. */
    @Test
    void calibratedBaselinesFindLessAndLaterAtTheSameAlertBudget() {
        Result result = TrainingEvaluation.evaluate(new MonitorDetection(Settings.defaults()), null);
        Score runwatch = result.of("runwatch");
        Score minimum = result.of(TrainingEvaluation.CALIBRATED + "page");
        Score ema = result.of(TrainingEvaluation.CALIBRATED + "ticket");

        assertThat(result.calibratedFactor()).isGreaterThan(TrainingBaselines.MIN_FACTOR);
        assertThat(result.calibratedSigmas()).isGreaterThan(TrainingBaselines.EMA_SIGMAS);
        assertThat(minimum.total().falsePages).isZero();
        assertThat(ema.falseTicketsPer10CleanRuns()).isLessThanOrEqualTo(1.0);
        for (Score baseline : new Score[] {minimum, ema}) {
            for (AlertType family : TrainingEvaluation.FAMILIES) {
                Tally ours = runwatch.families().get(family);
                Tally theirs = baseline.families().get(family);
                if (theirs.labelled == 0) {
                    continue; // run_rewound: the baselines cannot report one
                }
                assertThat(ours.recall()).as("%s recall vs %s", family, baseline.detector())
                        .isGreaterThanOrEqualTo(theirs.recall());
                if (theirs.detected > 0) {
                    double ourDelay = family == AlertType.divergence
                            ? TrainingEvaluation.median(ours.firstReportDelays) : ours.medianDelay();
                    assertThat(ourDelay).as("%s delay vs %s", family, baseline.detector())
                            .isLessThanOrEqualTo(theirs.medianDelay());
                }
            }
            assertThat(runwatch.total().recall()).isGreaterThan(baseline.total().recall());
        }
    }
}
