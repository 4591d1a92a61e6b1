package io.runwatch.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.config.Settings;
import io.runwatch.evaluate.LivenessEvaluation.Score;
import org.junit.jupiter.api.Test;

/** Quality regression guard for the liveness detectors on the seeded synthetic cluster (issue 6 targets). */
class LivenessEvaluationTest {
    private final Detection detection = new MonitorDetection(Settings.defaults());

    @Test
    void livenessQualityTargetsHold() {
        LivenessEvaluation.Scores scores = LivenessEvaluation.score(detection);
        Score ours = scores.ours();
        Score baseline = scores.baseline();

        // every stop and hang pages, within the run's own deadline, and sooner than the 10-minute rule
        assertThat(ours.stallIncidents).isGreaterThanOrEqualTo(20);
        assertThat(ours.stallCaught).isEqualTo(ours.stallIncidents);
        assertThat(ours.stallWithinDeadline).isEqualTo(ours.stallCaught);
        assertThat(ours.stallDelays.quantile(0.5)).isLessThan(baseline.stallDelays.quantile(0.5) / 3);
        // no false page on checkpoint saves, declared waits, evaluations, ended runs or restarts
        assertThat(ours.falseStallCount()).isZero();
        assertThat(baseline.falseStallCount()).as("the suite's pauses do trip a naive rule").isPositive();

        assertThat(ours.stormCaught.values()).allSatisfy(tally -> assertThat(tally[0]).isEqualTo(tally[1]));
        assertThat(ours.stormDelays.quantile(1.0)).isLessThanOrEqualTo(5.0);
        assertThat(ours.falseStormCount()).isZero();

        int[] small = ours.throughputBuckets[0];
        assertThat(small[0]).as("10–20 %% slowdowns").isGreaterThanOrEqualTo((small[1] + 1) / 2);
        for (int bucket = 1; bucket < 3; bucket++) {
            assertThat(ours.throughputBuckets[bucket][0]).as("slowdowns of 20 %% and more")
                    .isEqualTo(ours.throughputBuckets[bucket][1]);
        }
        assertThat(ours.falseTicketCount()).isLessThanOrEqualTo(1);
    }

    @Test
    void overSevenSeedsNoFalsePageAndNoMissedStallOrCrashLoop() {
        LivenessEvaluation.Score pooled = new LivenessEvaluation.Score();
        for (long seed = LivenessEvaluation.SEED; seed < LivenessEvaluation.SEED + 7; seed++) {
            pooled.add(LivenessEvaluation.score(detection, seed).ours());
        }

        assertThat(pooled.stallCaught).isEqualTo(pooled.stallIncidents);
        assertThat(pooled.falseStallCount()).as("false stall pages").isZero();
        assertThat(pooled.stormCaught.values()).allSatisfy(tally -> assertThat(tally[0]).isEqualTo(tally[1]));
        assertThat(pooled.falseStormCount()).as("false storm pages").isZero();
        assertThat(pooled.falseTicketCount()).isLessThanOrEqualTo(5);
    }

    @Test
    void printsTheSection() {
        Section section = LivenessEvaluation.run(detection,
                Evaluate.sharedData());
        System.out.println(section.toMarkdown());

        assertThat(section.rows()).hasSizeGreaterThanOrEqualTo(11)
                .allSatisfy(row -> assertThat(row).hasSize(section.header().size()));
    }
}
