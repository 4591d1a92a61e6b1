package io.runwatch.core.evals;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The cached thresholds belong to their α: a sweep over α in one JVM (EvalFrontier, --alpha-sweep) must not reuse another's. */
class SignificanceCacheTest {

    @Test
    void pairThresholdOfOneAlphaIsNotReusedForAnother() {
        double strict = Significance.confirmedPairZ(1e-6, 77, 0.3);
        double loose = Significance.confirmedPairZ(0.2, 77, 0.3);

        assertThat(loose).isLessThan(strict - 1);
        assertThat(Significance.confirmedPairZ(1e-6, 77, 0.3)).isEqualTo(strict);
    }
}
