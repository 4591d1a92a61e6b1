package io.runwatch.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ScaleOutTest {
    @Test
    void theGridRunsEveryInstanceCountWithEveryThreadCountSmallestFirstSoTheFirstIsTheSpeedUpsBase() {
        assertThat(ScaleOut.grid(List.of(2, 1, 2), List.of(4, 1, 2))).containsExactly(
                new ScaleOut.Config(1, 1), new ScaleOut.Config(1, 2), new ScaleOut.Config(1, 4),
                new ScaleOut.Config(2, 1), new ScaleOut.Config(2, 2), new ScaleOut.Config(2, 4));
        assertThat(new ScaleOut.Config(2, 4).label()).isEqualTo("2x4");
    }

    @Test
    void aSplitIsEvenWhenNoInstanceOwnsMoreThanOnePartitionMoreThanAnother() {
        assertThat(ScaleOut.isEven("12")).isTrue();
        assertThat(ScaleOut.isEven("6+6")).isTrue();
        assertThat(ScaleOut.isEven("4+4+5")).isTrue();
        assertThat(ScaleOut.isEven("4+8")).isFalse();
        assertThat(ScaleOut.isEven("11+1")).isFalse();
    }
}
