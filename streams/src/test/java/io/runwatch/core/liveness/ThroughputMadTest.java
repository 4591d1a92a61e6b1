package io.runwatch.core.liveness;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.runwatch.core.stats.RobustStats;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The per-record MAD without a sort must be exactly the shared statistic's, ties and outliers included. */
class ThroughputMadTest {
    @Test
    void madOfSortedEqualsRobustStatsMadBitForBit() {
        SplittableRandom random = new SplittableRandom(7);
        for (int trial = 0; trial < 20_000; trial++) {
            int n = 1 + random.nextInt(40);
            double[] values = new double[n];
            for (int i = 0; i < n; i++) {
                // coarse values make ties with each other and with the median; some far outliers
                values[i] = random.nextInt(10) == 0 ? random.nextDouble() * 1e6
                        : Math.round(random.nextGaussian() * 4) / 2.0 + 150_000;
            }
            double[] sorted = values.clone();
            Arrays.sort(sorted);
            double center = trial % 3 == 0 ? RobustStats.medianOfSorted(sorted) : values[random.nextInt(n)];
            assertEquals(Double.doubleToLongBits(RobustStats.mad(values, center)),
                    Double.doubleToLongBits(ThroughputDetector.madOfSorted(sorted, center)),
                    () -> Arrays.toString(sorted) + " around " + center);
        }
    }

    @Test
    void nanCenterGivesNanAsTheSharedStatisticDoes() {
        assertEquals(Double.NaN, ThroughputDetector.madOfSorted(new double[] {1, 2, 3}, Double.NaN));
    }
}
