package io.runwatch.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NumTest {
    @Test
    void readsWhatTrainersPrint() {
        assertThat(Num.parse("6.444662E+00")).isEqualTo(6.444662);
        assertThat(Num.parse("4.981e+03")).isEqualTo(4981.0);
        assertThat(Num.parse("7,282")).isEqualTo(7282.0);
        assertThat(Num.parse("1,000.13")).isEqualTo(1000.13);
        assertThat(Num.parse("195,153")).isEqualTo(195153.0);
        assertThat(Num.parse("11.5K")).isEqualTo(11500.0);
        assertThat(Num.parse("201K")).isEqualTo(201000.0);
        assertThat(Num.parse("85.8G")).isEqualTo(85.8e9);
        assertThat(Num.parse("1.2B")).isEqualTo(1.2e9);
        assertThat(Num.parse("0.59M")).isEqualTo(590000.0);
        assertThat(Num.parse("14")).isEqualTo(14.0);
        assertThat(Num.parse("'16.981'")).isEqualTo(16.981);
        assertThat(Num.parse("-1.0")).isEqualTo(-1.0);
    }

    @Test
    void nonFiniteSpellingsAndPlaceholders() {
        assertThat(Num.parse("nan")).isNaN();
        assertThat(Num.parse("NAN")).isNaN();
        assertThat(Num.parse("NaN")).isNaN();
        assertThat(Num.parse("inf")).isInfinite().isPositive();
        assertThat(Num.parse("-inf")).isInfinite().isNegative();
        assertThat(Num.parse("N/A")).isNull();
        assertThat(Num.parse("n/a")).isNull();
        assertThat(Num.parse("None")).isNull();
        assertThat(Num.parse("")).isNull();
        assertThat(Num.parse(null)).isNull();
    }

    @Test
    void refusesWhatIsNotANumber() {
        assertThat(Num.parse("1,23")).isNull();
        assertThat(Num.parse("0x1p3")).isNull();
        assertThat(Num.parse("1.5f")).isNull();
        assertThat(Num.parse("12abc")).isNull();
        assertThat(Num.parse("e5")).isNull();
        assertThat(Num.parse("1e")).isNull();
        assertThat(Num.parse("49.66GiB(52.28%)")).isNull();
    }

    @Test
    void stepsAndDurations() {
        assertThat(Num.step("188.0")).isEqualTo(188);
        assertThat(Num.step("1.000")).isEqualTo(1);
        assertThat(Num.step("2e+3")).isEqualTo(2000);
        assertThat(Num.step("1.5")).isEqualTo(-1);
        assertThat(Num.step("-3")).isEqualTo(-1);
        assertThat(Num.step("nan")).isEqualTo(-1);
        assertThat(Num.seconds("285ms", false)).isEqualTo(0.285);
        assertThat(Num.seconds("22.151s", true)).isEqualTo(22.151);
        assertThat(Num.seconds("1500", true)).isEqualTo(1.5);
    }
}
