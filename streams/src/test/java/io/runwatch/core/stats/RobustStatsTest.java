package io.runwatch.core.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RobustStatsTest {
    @Test
    void theMedianOfAnOddCountIsTheMiddleValue() {
        assertThat(RobustStats.median(new double[] {5, 1, 3})).isEqualTo(3);
        assertThat(RobustStats.median(new double[] {7})).isEqualTo(7);
    }

    @Test
    void theMedianOfAnEvenCountIsTheMeanOfTheTwoMiddleValues() {
        assertThat(RobustStats.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
        assertThat(RobustStats.median(new double[] {-1, 1})).isEqualTo(0);
    }

    @Test
    void tiesAreOrdinaryValues() {
        assertThat(RobustStats.median(new double[] {2, 2, 2, 9})).isEqualTo(2);
        assertThat(RobustStats.median(new double[] {1, 2, 2, 3, 3, 3})).isEqualTo(2.5);
        assertThat(RobustStats.mad(new double[] {1, 1, 1, 1, 50}, 1)).isZero();
    }

    @Test
    void theMedianOfThePrefixIgnoresTheRest() {
        double[] values = {9, 1, 5, -100, 100};
        assertThat(RobustStats.median(values, 3)).isEqualTo(5);
        assertThat(RobustStats.median(values, 2)).isEqualTo(5);
    }

    @Test
    void noMethodChangesItsArgument() {
        double[] values = {3, 1, 2};
        RobustStats.median(values);
        RobustStats.mad(values, 2);
        RobustStats.theilSenSlope(values);
        RobustStats.leastSquares(values);
        assertThat(values).containsExactly(3, 1, 2);
    }

    @Test
    void anyNaNMakesTheResultNaNAndAnEmptyInputToo() {
        assertThat(RobustStats.median(new double[] {1, Double.NaN, 2})).isNaN();
        assertThat(RobustStats.median(new double[] {Double.NaN, 5, 6, 7})).isNaN();
        assertThat(RobustStats.medianOfSorted(new double[] {1, 2, Double.NaN})).isNaN();
        assertThat(RobustStats.median(new double[0])).isNaN();
        assertThat(RobustStats.mad(new double[] {1, 2, 3}, Double.NaN)).isNaN();
        assertThat(RobustStats.medianOfThree(1, Double.NaN, 3)).isNaN();
        assertThat(RobustStats.theilSenSlope(new double[] {1, Double.NaN, 3})).isNaN();
        assertThat(RobustStats.theilSenSlope(new double[] {1})).isNaN();
        assertThat(RobustStats.leastSquares(new double[] {1, Double.NaN, 3}).slope()).isNaN();
        assertThat(RobustStats.leastSquares(new double[] {1}).slope()).isNaN();
    }

    @Test
    void infinitiesAreOrderedByTheMedian() {
        assertThat(RobustStats.median(new double[] {Double.POSITIVE_INFINITY, 1, 2})).isEqualTo(2);
        assertThat(RobustStats.median(new double[] {Double.NEGATIVE_INFINITY, 1, Double.POSITIVE_INFINITY}))
                .isEqualTo(1);
    }

    @Test
    void theMedianOfThreeIsTheMiddleOneInAnyOrder() {
        double[][] orders = {{1, 2, 3}, {1, 3, 2}, {2, 1, 3}, {2, 3, 1}, {3, 1, 2}, {3, 2, 1}};
        for (double[] o : orders) {
            assertThat(RobustStats.medianOfThree(o[0], o[1], o[2])).isEqualTo(2);
        }
        assertThat(RobustStats.medianOfThree(4, 4, 1)).isEqualTo(4);
    }

    @Test
    void theMadOfAKnownSampleAndItsScaleToSigma() {
        // |x - 3| = 2, 1, 0, 1, 2 → median 1
        assertThat(RobustStats.mad(new double[] {1, 2, 3, 4, 5}, 3)).isEqualTo(1);
        // Normal noise: MAD × 1.4826 estimates σ.
        Random random = new Random(1);
        double[] noise = new double[20_001];
        for (int i = 0; i < noise.length; i++) {
            noise[i] = 2.0 * random.nextGaussian();
        }
        double sigma = RobustStats.MAD_TO_SIGMA * RobustStats.mad(noise, RobustStats.median(noise));
        assertThat(sigma).isCloseTo(2.0, within(0.05));
    }

    @Test
    void theilSenFindsTheSlopeThroughOneWildOutlier() {
        double[] y = {1, 3, 5, 7, 100, 11, 13};
        assertThat(RobustStats.theilSenSlope(y)).isEqualTo(2);
        assertThat(RobustStats.leastSquares(y).slope()).isGreaterThan(5); // what least squares makes of it
    }

    @Test
    void theilSenOverUnevenX() {
        double[] x = {0, 1, 10, 11, 30};
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = 4 - 0.5 * x[i];
        }
        assertThat(RobustStats.theilSenSlope(x, y)).isEqualTo(-0.5);
        // x = 0, 1, 2 and y = 0, 1, 3: pairwise slopes 1, 1.5, 2 → median 1.5
        assertThat(RobustStats.theilSenSlope(new double[] {0, 1, 2}, new double[] {0, 1, 3})).isEqualTo(1.5);
        assertThatThrownBy(() -> RobustStats.theilSenSlope(new double[] {0, 1}, new double[] {0}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theilSenOfAnEvenNumberOfPairsAveragesTheMiddleTwo() {
        // y = 0, 1, 3, 3: pairwise slopes 1, 1.5, 1, 2, 1, 0 → sorted 0, 1, 1, 1, 1.5, 2 → median 1
        assertThat(RobustStats.theilSenSlope(new double[] {0, 1, 3, 3})).isEqualTo(1);
        // y = 0, 2: one pair
        assertThat(RobustStats.theilSenSlope(new double[] {0, 2})).isEqualTo(2);
    }

    @Test
    void leastSquaresOfAnExactLineHasNoSlopeError() {
        RobustStats.Line line = RobustStats.leastSquares(new double[] {1, 3, 5, 7});
        assertThat(line.slope()).isEqualTo(2);
        assertThat(line.intercept()).isEqualTo(1);
        assertThat(line.slopeError()).isZero();
        assertThat(RobustStats.leastSquares(new double[] {1, 3}).slopeError()).isNaN();
    }

    @Test
    void leastSquaresOfAKnownSample() {
        // y = 1, 2, 2, 4 at x = 0..3: mean x 1.5, mean y 2.25, Sxx 5, Sxy 4.5 → slope 0.9, intercept 0.9;
        // residuals 0.1, 0.2, -0.7, 0.4 → RSS 0.7, slope error √(0.7 / 2 / 5)
        RobustStats.Line line = RobustStats.leastSquares(new double[] {1, 2, 2, 4});
        assertThat(line.slope()).isCloseTo(0.9, within(1e-12));
        assertThat(line.intercept()).isCloseTo(0.9, within(1e-12));
        assertThat(line.slopeError()).isCloseTo(Math.sqrt(0.07), within(1e-12));
    }
}
