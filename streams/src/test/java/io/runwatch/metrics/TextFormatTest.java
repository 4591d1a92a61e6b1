package io.runwatch.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link TextFormat#writeDouble} prints every double as Prometheus' writer does ({@code Double.toString}, infinities
 * as {@code +Inf}/{@code -Inf}): checked against that over doubles of every kind a run reports (short decimals as
 * trainers log them, arithmetic results with 16-17 digits, times in seconds, whole numbers) across the range where
 * its own conversion is used, at and past the ends of that range, and on the special values.
 */
class TextFormatTest {
    private static String prometheus(double value) {
        if (value == Double.POSITIVE_INFINITY) {
            return "+Inf";
        } else if (value == Double.NEGATIVE_INFINITY) {
            return "-Inf";
        }
        return Double.toString(value);
    }

    private static String written(double value) {
        byte[] b = new byte[TextFormat.MAX_DOUBLE_CHARS + 8];
        b[0] = 'x';
        int end = TextFormat.writeDouble(value, b, 1);
        assertThat(end - 1).isLessThanOrEqualTo(TextFormat.MAX_DOUBLE_CHARS);
        return new String(b, 1, end - 1, StandardCharsets.US_ASCII);
    }

    private static void check(double value) {
        String expected = prometheus(value);
        if (!expected.equals(written(value))) {
            // assertThat on every value would cost more than the conversions; fail with the value in the message
            assertThat(written(value)).as("%s (bits %x)", expected, Double.doubleToRawLongBits(value))
                    .isEqualTo(expected);
        }
        if (!prometheus(-value).equals(written(-value))) {
            assertThat(written(-value)).as("%s", prometheus(-value)).isEqualTo(prometheus(-value));
        }
    }

    @Test
    void specialValuesAndTheEndsOfEachPath() {
        double[] values = {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1.0, 0.5,
            Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE, Math.ulp(1.0), 1 - Math.ulp(1.0) / 2,
            9_999_999.0, 9_999_999.5, 10_000_000.0, 10_000_000.5, 1e7 - Math.ulp(1e7), 1e-3, Math.nextDown(1e-3),
            Math.nextUp(1e-3), 1e-4, 0.001234, 1e15, Math.nextDown(1e15), 1e16, 2e23, 1e23, 1e22, 1e-10,
            Math.nextDown(1e-10), Math.nextUp(1e-10), 1e-300, 1e300, 0.1 + 0.2, 1.0 / 3, 2.0 / 3, 6e-4, 2.497,
            1.7e9, 1_765_016_123.456, 1_765_016_123.4567, 154_000.0, 0.30000000000000004, 123456.5, 4.35,
            0x1p50, 0x1p50 + 0.5, 0x1p53, 0x1p53 + 2, (double) Long.MAX_VALUE, 4.9e-324, 2.2250738585072014E-308,
            100.0, 1e6, 1e-5, 5e-5, 9.999999999999999e14, 999_999.9999999999, 0.000999999999999, 12.0e-11};
        for (double v : values) {
            check(v);
        }
        for (int e = -12; e <= 24; e++) {
            for (double m : new double[] {1, 2, 5, 9.5, 9.99, 1.5}) {
                check(m * Math.pow(10, e));
                check(Double.parseDouble(m + "E" + e));
            }
        }
    }

    @Test
    void shortDecimalsAsTrainersLogThem() {
        SplittableRandom random = new SplittableRandom(12);
        for (int i = 0; i < 100_000; i++) {
            // 1-8 significant digits at a decimal exponent from -13 to 17
            long digits = 1 + random.nextLong(LONG_POW10[1 + random.nextInt(8)]);
            check(Double.parseDouble(digits + "E" + (random.nextInt(31) - 13 - 4)));
        }
    }

    @Test
    void arbitraryDoublesInEveryDecade() {
        SplittableRandom random = new SplittableRandom(13);
        for (int e = -12; e <= 18; e++) {
            double decade = Math.pow(10, e);
            for (int i = 0; i < 5_000; i++) {
                check(decade * (1 + 9 * random.nextDouble()));
            }
        }
        for (int i = 0; i < 30_000; i++) {
            check(Double.longBitsToDouble(random.nextLong())); // any bit pattern: subnormals, NaNs, huge, tiny
            check(random.nextLong(2_000_000_000_000L) / 1000.0); // record times in seconds, with milliseconds
            check(random.nextInt(1_000_000) / (double) (1 + random.nextInt(1_000))); // ratios
        }
    }

    private static final long[] LONG_POW10 = {1L, 10L, 100L, 1_000L, 10_000L, 100_000L, 1_000_000L, 10_000_000L,
        100_000_000L};
}
