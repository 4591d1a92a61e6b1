package io.runwatch.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.core.EvalPoint;
import io.runwatch.evaluate.IndependentLabeller.Kind;
import io.runwatch.evaluate.IndependentLabeller.Label;
import io.runwatch.evaluate.IndependentLabeller.NoiseModel;
import io.runwatch.evaluate.IndependentLabeller.Trajectory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The independent labeller on small hand-made trajectories. */
class IndependentLabellerTest {
    private static final int ITEMS = 1000; // binomial σ of a score near 0.6: 0.0155

    @Test
    void aDropFarBeyondBinomialErrorThatPersistsIsLabelled() {
        double[] scores = flat(30, 0.60, 0.003, 1);
        for (int i = 12; i < 15; i++) {
            scores[i] -= 0.10; // ~5.6 σ of the difference to the level of the 3 before
        }
        List<Label> labels = IndependentLabeller.label(trajectory("arc_easy", "acc", scores, ITEMS),
                NoiseModel.BINOMIAL);

        assertThat(labels).hasSize(1);
        assertThat(labels.get(0).kind()).isEqualTo(Kind.PERSISTENT);
        assertThat(labels.get(0).from()).isEqualTo(12);
        assertThat(labels.get(0).to()).isEqualTo(14);
        assertThat(labels.get(0).fromStep()).isEqualTo(12_000);
        assertThat(labels.get(0).sigmas()).isBetween(5.0, 6.5);
    }

    @Test
    void aSwingWithinBinomialErrorIsNotLabelled() {
        double[] scores = flat(30, 0.60, 0.003, 2);
        scores[10] -= 0.05; // ~2.8 σ: a large-looking swing that 1000 items make ordinary
        scores[20] -= 0.04;
        scores[21] -= 0.04;

        assertThat(IndependentLabeller.label(trajectory("arc_easy", "acc", scores, ITEMS), NoiseModel.BINOMIAL))
                .isEmpty();
    }

    @Test
    void aOneCheckpointDropIsLabelledOnlyWhenItsSizeConfirmsIt() {
        double[] scores = flat(30, 0.60, 0.003, 3);
        scores[8] -= 0.08; // ~4.5 σ, back at the next checkpoint: unconfirmed
        scores[20] -= 0.12; // ~6.7 σ alone
        List<Label> labels = IndependentLabeller.label(trajectory("arc_easy", "acc", scores, ITEMS),
                NoiseModel.BINOMIAL);

        assertThat(labels).extracting(Label::kind, Label::from).containsExactly(
                org.assertj.core.groups.Tuple.tuple(Kind.SINGLE, 20));
    }

    @Test
    void aDropFromTheNoSkillScoreIsNotARegression() {
        double[] scores = flat(30, 0.26, 0.003, 4); // arc_challenge: chance 0.25, 1 binomial σ above it
        for (int i = 12; i < 16; i++) {
            scores[i] -= 0.08;
        }
        assertThat(IndependentLabeller.label(trajectory("arc_challenge", "acc", scores, 1172), NoiseModel.BINOMIAL))
                .isEmpty();
    }

    @Test
    void aSlowDeclineIsLabelledOnceFromItsBestLevel() {
        double[] scores = flat(40, 0.60, 0.003, 5);
        for (int i = 15; i < 40; i++) {
            scores[i] -= 0.004 * (i - 14); // never 4 σ between neighbours, 0.10 below after 25 checkpoints
        }
        List<Label> labels = IndependentLabeller.label(trajectory("piqa", "acc", scores, ITEMS), NoiseModel.BINOMIAL);

        assertThat(labels).hasSize(1);
        assertThat(labels.get(0).kind()).isEqualTo(Kind.DECLINE);
        assertThat(labels.get(0).from()).isBetween(10, 16);
        assertThat(labels.get(0).to()).isEqualTo(39);
    }

    @Test
    void heldOutNoiseOfEachCheckpointComesFromTheOtherHalf() {
        double[] scores = flat(30, 0.60, 0, 6);
        Random random = new Random(7);
        for (int i = 1; i < scores.length; i += 2) {
            scores[i] += 0.02 * random.nextGaussian(); // only the odd checkpoints are noisy
        }
        double[] sigmas = IndependentLabeller.heldOutSigmas(trajectory("piqa", "acc", scores, ITEMS));

        assertThat(sigmas[4]).isGreaterThan(0.01); // even: judged by the noisy odd half
        assertThat(sigmas[5]).isLessThan(0.001); // odd: judged by the calm even half
        assertThat(IndependentLabeller.halfSpread(scores, 1)).isEqualTo(sigmas[4]);
    }

    @Test
    void heldOutLabelsFollowTheTrajectorysOwnSwingNotItsItemCount() {
        // 10,000 items (binomial σ 0.005) but the format swings ±0.03 every checkpoint: a 0.06 drop is 10
        // binomial σ yet ordinary for this benchmark; a 0.20 step persists and is beyond both.
        double[] scores = flat(40, 0.60, 0.03, 8);
        scores[11] -= 0.06;
        for (int i = 25; i < 40; i++) {
            scores[i] -= 0.20;
        }
        Trajectory t = trajectory("hellaswag", "acc_mc", scores, 10_000);
        List<Label> binomial = IndependentLabeller.label(t, NoiseModel.BINOMIAL);
        List<Label> heldOut = IndependentLabeller.label(t, NoiseModel.HELD_OUT);

        assertThat(binomial.size()).isGreaterThan(heldOut.size());
        assertThat(heldOut).extracting(Label::from).containsExactly(25);
        assertThat(IndependentLabeller.heldOutOverBinomial(t)).isGreaterThan(3);
    }

    @Test
    void aSingleDeepDipIsLabelledByTheHeldOutHalf() {
        // One deep dip at checkpoint 15 (odd) in a calm trajectory: judged by the even half's spread, which it
        // does not enter, and back at the next checkpoint, so confirmed by its size alone.
        double[] scores = flat(30, 0.60, 0.002, 9);
        scores[15] -= 0.03;
        List<Label> heldOut = IndependentLabeller.label(trajectory("piqa", "acc", scores, ITEMS), NoiseModel.HELD_OUT);

        assertThat(heldOut).extracting(Label::kind, Label::from).containsExactly(
                org.assertj.core.groups.Tuple.tuple(Kind.SINGLE, 15));
    }

    @Test
    void eachNoiseModelJudgesOnlyWhatItCan() {
        Trajectory perplexity = trajectory("lambada", "ppl", flat(30, 20, 0.2, 10), ITEMS);
        Trajectory short_ = trajectory("piqa", "acc", flat(19, 0.6, 0.003, 11), ITEMS);

        assertThat(IndependentLabeller.applies(perplexity, NoiseModel.BINOMIAL)).isFalse();
        assertThat(IndependentLabeller.applies(perplexity, NoiseModel.HELD_OUT)).isTrue();
        assertThat(IndependentLabeller.applies(short_, NoiseModel.BINOMIAL)).isTrue();
        assertThat(IndependentLabeller.applies(short_, NoiseModel.HELD_OUT)).isFalse(); // halves of 10 and 9: 8 and 7 residuals
    }

    @Test
    void seedsOfOneCheckpointAreAveragedAndTheirErrorShrinks() {
        List<EvalPoint> points = new ArrayList<>();
        for (String seed : List.of("a", "b", "c", "d")) {
            points.add(new EvalPoint("r", 100, "piqa", "acc", 0.6, null, 1000, seed, null, null, 0, true));
        }
        Trajectory t = IndependentLabeller.trajectories(points).get("r/piqa:acc");

        assertThat(t.scores()[0]).isEqualTo(0.6);
        assertThat(t.binomialSigmas()[0]).isCloseTo(Math.sqrt(0.24 / 1000) / 2, org.assertj.core.data.Offset.offset(1e-12));
    }

    /** {@code n} scores around {@code level} with Gaussian noise of {@code spread}, seeded. */
    private static double[] flat(int n, double level, double spread, long seed) {
        Random random = new Random(seed);
        double[] scores = new double[n];
        for (int i = 0; i < n; i++) {
            scores[i] = level + spread * random.nextGaussian();
        }
        return scores;
    }

    /** A trajectory evaluated every 1000 steps on {@code items} items. */
    private static Trajectory trajectory(String benchmark, String metric, double[] values, int items) {
        boolean higherIsBetter = !metric.equals("ppl");
        List<EvalPoint> points = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            points.add(new EvalPoint("run", 1000L * i, benchmark, metric, values[i], null, items, null, null, null, 0,
                    higherIsBetter));
        }
        return IndependentLabeller.trajectories(points).get("run/" + benchmark + ":" + metric);
    }
}
