package io.runwatch.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class BenchReportTest {
    @Test
    void numbersArePlainWithThreeSignificantDigitsAndMissingOnesShowAsNaN() {
        assertThat(BenchReport.number(123_456.7)).isEqualTo("123457");
        assertThat(BenchReport.number(42.25)).isEqualTo("42.3");
        assertThat(BenchReport.number(3)).isEqualTo("3");
        assertThat(BenchReport.number(0.06512)).isEqualTo("0.0651");
        assertThat(BenchReport.number(Double.NaN)).isEqualTo("NaN");
        assertThat(Double.parseDouble(BenchReport.number(0.000012345))).isEqualTo(0.0000123);
    }

    @Test
    void rendersHeadingThenOneMarkdownTablePerMeasurement() {
        BenchReport report = new BenchReport();
        report.heading("on 2 cores");
        report.table("Drain.", List.of("path", "records/s")).row("identity", 1000);
        assertThat(report.markdown()).isEqualTo("""
                on 2 cores

                Drain.

                | path | records/s |
                |---|---|
                | identity | 1000 |
                """);
    }

    @Test
    void statsUseNearestRankSoTheP99OfAFewProbesIsTheirLargest() {
        Stats stats = Stats.of(List.of(5.0, 1.0, 3.0, 2.0));
        assertThat(stats.median()).isEqualTo(2.5);
        assertThat(stats.p50()).isEqualTo(2.0);
        assertThat(stats.p99()).isEqualTo(5.0);
        assertThat(stats.min()).isEqualTo(1.0);
    }

    @Test
    void theTimeAnOffsetWasPassedIsInterpolatedBetweenObservations() {
        List<BenchKafka.Progress> progress = List.of(new BenchKafka.Progress(1_000, 0),
                new BenchKafka.Progress(2_000, 100), new BenchKafka.Progress(3_000, 300));
        assertThat(Bench.nanosAt(progress, 50)).isEqualTo(1_500);
        assertThat(Bench.nanosAt(progress, 200)).isEqualTo(2_500);
        assertThat(Bench.nanosAt(progress, 300)).isEqualTo(3_000);
    }
}
