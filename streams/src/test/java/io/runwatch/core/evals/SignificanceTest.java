package io.runwatch.core.evals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SignificanceTest {

    @Test
    void theShareTableMapsEachGridDofBackToItself() {
        for (double dof : Significance.TAIL_DOFS) {
            assertThat(Significance.dofForShare(Significance.residualShareBeyond3(dof))).isEqualTo(dof);
        }
        // between grid points the heavier tail is taken: thresholds err high
        assertThat(Significance.dofForShare(0.012)).isEqualTo(7);
        assertThat(Significance.residualShareBeyond3(9)).isEqualTo(Significance.residualShareBeyond3(8));
        assertThat(Significance.dofForShare(0.2)).isEqualTo(3);
        assertThat(Significance.dofForShare(0.001)).isZero();
    }

    @Test
    void heavierTailsNeedHigherThresholdsAndTheMeanOfSeveralCheckpointsLowerOnes() {
        double gaussian = Significance.singleCheckpointZ(0.01, 100, 0);
        double t8 = Significance.singleCheckpointZ(0.01, 100, 8);
        double t30 = Significance.singleCheckpointZ(0.01, 100, 30);
        assertThat(gaussian).isCloseTo(3.89, within(0.01));
        assertThat(t8).isGreaterThan(t30).isGreaterThan(gaussian);
        assertThat(Significance.dofOfMean(8, 4)).isEqualTo(20);
        assertThat(Significance.dofOfMean(3, 4)).isEqualTo(3); // no kurtosis to match
        assertThat(Significance.confirmedPairZ(0.01, 100, 0.3, 8))
                .isGreaterThan(Significance.confirmedPairZ(0.01, 100, 0.3))
                .isLessThan(t8);
    }
}
