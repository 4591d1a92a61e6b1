package io.runwatch.metrics;

import io.prometheus.metrics.model.snapshots.MetricMetadata;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A minimal writer of the Prometheus text format (0.0.4) for {@link RunSeries}: byte for byte what Prometheus'
 * own {@code PrometheusTextFormatWriter} writes for a gauge or counter family (HELP and TYPE lines, label values
 * escaped the same way, values as {@code Double.toString} with {@code +Inf}/{@code -Inf}), into its own buffer.
 */
final class TextFormat {
    private static final byte[] HELP = ascii("# HELP ");
    private static final byte[] TYPE = ascii("# TYPE ");
    private static final byte[] GAUGE = ascii(" gauge\n");
    private static final byte[] COUNTER = ascii(" counter\n");
    private static final byte[] TOTAL = ascii("_total");
    private static final byte[] PLUS_INF = ascii("+Inf");
    private static final byte[] MINUS_INF = ascii("-Inf");
    /** Below this magnitude an integral double prints as its digits and ".0"; above, in E notation. */
    private static final double PLAIN_LIMIT = 1e7;

    private final OutputStream out;
    private byte[] buffer = new byte[1 << 16];
    private int used;

    TextFormat(OutputStream out) {
        this.out = out;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** {@code {a="x",b="y"} } (the second label optional), values escaped as the format requires. */
    static byte[] labels(String name1, String value1, String name2, String value2) {
        StringBuilder text = new StringBuilder(name1.length() + value1.length() + 8).append('{').append(name1)
                .append("=\"");
        escape(text, value1);
        text.append('"');
        if (name2 != null) {
            text.append(',').append(name2).append("=\"");
            escape(text, value2);
            text.append('"');
        }
        return text.append("} ").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void escape(StringBuilder text, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> text.append("\\\\");
                case '"' -> text.append("\\\"");
                case '\n' -> text.append("\\n");
                default -> text.append(c);
            }
        }
    }

    void header(MetricMetadata family, boolean counter) throws IOException {
        byte[] name = ascii(family.getPrometheusName());
        if (family.getHelp() != null && !family.getHelp().isEmpty()) {
            write(HELP);
            write(name);
            if (counter) {
                write(TOTAL);
            }
            write((byte) ' ');
            StringBuilder help = new StringBuilder(family.getHelp().length());
            for (char c : family.getHelp().toCharArray()) {
                switch (c) {
                    case '\\' -> help.append("\\\\");
                    case '\n' -> help.append("\\n");
                    default -> help.append(c);
                }
            }
            write(help.toString().getBytes(StandardCharsets.UTF_8));
            write((byte) '\n');
        }
        write(TYPE);
        write(name);
        if (counter) {
            write(TOTAL);
        }
        write(counter ? COUNTER : GAUGE);
    }

    /**
     * One sample line: name, labels, value, newline, written straight into the buffer (room for the whole line is
     * made first, so the value's characters need no bounds check each).
     */
    void sample(byte[] name, byte[] labels, double value) throws IOException {
        sample(name, labels, 0, labels.length, value);
    }

    /** As {@link #sample(byte[], byte[], double)}, the labels being {@code labels[from, to)}. */
    void sample(byte[] name, byte[] labels, int from, int to, double value) throws IOException {
        int labelLength = to - from;
        int line = name.length + labelLength + MAX_DOUBLE_CHARS + 1;
        if (line > buffer.length - used) {
            drain();
            if (line > buffer.length) {
                buffer = new byte[line]; // a label longer than the buffer: rare, and only as long as the line
            }
        }
        byte[] b = buffer;
        int p = used;
        System.arraycopy(name, 0, b, p, name.length);
        p += name.length;
        System.arraycopy(labels, from, b, p, labelLength);
        p += labelLength;
        p = writeDouble(value, b, p);
        b[p++] = '\n';
        used = p;
    }

    /** The longest text {@link #writeDouble} writes: {@code -2.2250738585072014E-308}. */
    static final int MAX_DOUBLE_CHARS = 24;

    /**
     * {@code value} as Prometheus' writer writes it ({@code Double.toString}, infinities as {@code +Inf} and
     * {@code -Inf}) into {@code b} at {@code p}; returns the position after it. Java 17's {@code Double.toString}
     * costs 30-300 ns and a String per call (two million calls a scrape at 100,000 runs); here integral values
     * print as their digits, others as the shortest decimal that reads back as the same double (what
     * {@code Double.toString} prints in that range, see {@link #shortestDecimal}), without garbage, and the rest
     * (NaN, -0.0, 16-17 significant digits, very large or small) through {@code Double.toString}.
     */
    static int writeDouble(double value, byte[] b, int p) {
        if (value == Double.POSITIVE_INFINITY) {
            return put(PLUS_INF, b, p);
        } else if (value == Double.NEGATIVE_INFINITY) {
            return put(MINUS_INF, b, p);
        }
        double magnitude = Math.abs(value);
        if (value == Math.rint(value) && magnitude < PLAIN_LIMIT
                && Double.doubleToRawLongBits(value) != NEGATIVE_ZERO_BITS) {
            // Steps, counters, whole seconds: the digits and ".0", as Double.toString prints them below 10^7.
            long whole = (long) value;
            if (whole < 0) {
                b[p++] = '-';
                whole = -whole;
            }
            p = putDigits(whole, digitCount(whole), b, p);
            b[p++] = '.';
            b[p++] = '0';
            return p;
        }
        if (magnitude >= SHORTEST_MIN && magnitude < SHORTEST_LIMIT) {
            int end = shortestDecimal(magnitude, value < 0, b, p);
            if (end >= 0) {
                return end;
            }
        }
        String text = Double.toString(value); // NaN, -0.0, very large or small, or 17 significant digits
        for (int i = 0; i < text.length(); i++) {
            b[p++] = (byte) text.charAt(i);
        }
        return p;
    }

    private static final long NEGATIVE_ZERO_BITS = Double.doubleToRawLongBits(-0.0);
    /**
     * The range where {@link #shortestDecimal} is used. Java 17's {@code Double.toString} prints the shortest
     * decimal that reads back as the same double (the nearest of them when several are as short) for the doubles
     * in it; from 10^16 on it prints integral doubles' exact digits instead (9.6345795763015312E16 where
     * 9.634579576301531E16 reads back the same), and it has other such cases above 10^18. TextFormatTest compares
     * the two over millions of doubles in and at the ends of the range.
     */
    static final double SHORTEST_MIN = 1e-8;
    static final double SHORTEST_LIMIT = 1e15;
    /** Exact powers of ten as doubles (10^22 is the largest one a double holds exactly). */
    private static final int MAX_POW10 = 22;
    private static final double[] POW10 = new double[MAX_POW10 + 1];
    private static final double LOG10_2 = 0.30102999566398120;
    /** 2^50: see {@link #shortestDecimal}. */
    private static final double ONE_CANDIDATE_LIMIT = 0x1p50;

    static {
        double power = 1;
        for (int i = 0; i < POW10.length; i++) {
            POW10[i] = power;
            power *= 10;
        }
    }

    /**
     * Writes {@code magnitude} (positive, finite, from {@link #SHORTEST_MIN} to {@link #SHORTEST_LIMIT}; minus sign
     * if {@code negative}) in Java's format with the fewest significant digits that read back as the same double,
     * or returns -1 when that takes more than 15 digits (then the caller prints it with {@code Double.toString}).
     *
     * <p>How: {@code c}, the integer nearest to {@code magnitude × 10^-s}, with {@code s} chosen so that this is
     * below 2^50 but at least 2^50 / 10 (15 or 16 digits); {@code c × 10^s} reads back as the double iff the
     * correctly rounded quotient (or product) of the exact doubles {@code c} and {@code 10^|s|} (|s| ≤ 22) equals it, which is
     * what parsing its text does. Below 2^50 the product is off by at most 1/8 and a decimal of that scale that
     * reads back lies within 1/8 of the exact product, so {@code c} is the only one; any shorter decimal that
     * reads back is also one of that scale (with trailing zeros), so it is {@code c} without its trailing zeros.
     */
    static int shortestDecimal(double magnitude, boolean negative, byte[] b, int p) {
        // from the binary exponent (Math.log10 costs more than the rest): the leading digit's exponent, or one more
        int s = (int) Math.floor((Math.getExponent(magnitude) + 1) * LOG10_2) - 14;
        double scaled = scale(magnitude, s);
        if (scaled * 10 < ONE_CANDIDATE_LIMIT) {
            s--;
            if (s < -MAX_POW10) {
                return -1; // just above SHORTEST_MIN, with 15 digits
            }
            scaled = scale(magnitude, s);
        }
        long digits = (long) Math.rint(scaled);
        if (scaled >= ONE_CANDIDATE_LIMIT
                || (s <= 0 ? digits / POW10[-s] : digits * POW10[s]) != magnitude) {
            return -1; // more than 15 significant digits
        }
        if (digits % 100_000_000 == 0) {
            digits /= 100_000_000;
            s += 8;
        }
        if (digits % 10_000 == 0) {
            digits /= 10_000;
            s += 4;
        }
        if (digits % 100 == 0) {
            digits /= 100;
            s += 2;
        }
        if (digits % 10 == 0) {
            digits /= 10;
            s += 1;
        }
        int n = digitCount(digits);
        int exponent = s + n - 1; // of the leading digit
        if (negative) {
            b[p++] = '-';
        }
        if (exponent >= 7 || exponent < -3) {
            // computerized scientific notation: d.ddd (at least one digit after the point) E exponent
            long lead = digits / LONG_POW10[n - 1];
            b[p++] = (byte) ('0' + lead);
            b[p++] = '.';
            if (n == 1) {
                b[p++] = '0';
            } else {
                p = putDigits(digits - lead * LONG_POW10[n - 1], n - 1, b, p);
            }
            b[p++] = 'E';
            int e = exponent;
            if (e < 0) {
                b[p++] = '-';
                e = -e;
            }
            return putDigits(e, digitCount(e), b, p);
        }
        if (exponent >= 0) {
            int whole = exponent + 1; // digits before the point
            if (n <= whole) {
                p = putDigits(digits, n, b, p);
                for (int i = n; i < whole; i++) {
                    b[p++] = '0';
                }
                b[p++] = '.';
                b[p++] = '0';
                return p;
            }
            long high = digits / LONG_POW10[n - whole];
            p = putDigits(high, whole, b, p);
            b[p++] = '.';
            return putDigits(digits - high * LONG_POW10[n - whole], n - whole, b, p);
        }
        b[p++] = '0';
        b[p++] = '.';
        for (int i = -1; i > exponent; i--) {
            b[p++] = '0';
        }
        return putDigits(digits, n, b, p);
    }

    /** {@code magnitude × 10^-s}, rounded once (|s| ≤ 22 in the range of {@link #shortestDecimal}). */
    private static double scale(double magnitude, int s) {
        return s <= 0 ? magnitude * POW10[-s] : magnitude / POW10[s];
    }

    private static final long[] LONG_POW10 = new long[19];

    static {
        long power = 1;
        for (int i = 0; i < LONG_POW10.length; i++) {
            LONG_POW10[i] = power;
            power *= 10;
        }
    }

    /** Decimal digits of {@code value} (non-negative). */
    private static int digitCount(long value) {
        int n = 1;
        while (n < LONG_POW10.length && value >= LONG_POW10[n]) {
            n++;
        }
        return n;
    }

    /** The last {@code count} decimal digits of {@code value}, leading zeros included, at {@code p}. */
    private static int putDigits(long value, int count, byte[] b, int p) {
        if (count > 9) { // int arithmetic for the low 9 digits: a long division costs several int ones
            long high = value / 1_000_000_000L;
            p = putDigits(high, count - 9, b, p);
            return putIntDigits((int) (value - high * 1_000_000_000L), 9, b, p);
        }
        return putIntDigits((int) value, count, b, p);
    }

    private static int putIntDigits(int value, int count, byte[] b, int p) {
        int end = p + count;
        for (int i = end - 1; i >= p; i--) {
            int next = value / 10;
            b[i] = (byte) ('0' + value - next * 10);
            value = next;
        }
        return end;
    }

    private static int put(byte[] bytes, byte[] b, int p) {
        System.arraycopy(bytes, 0, b, p, bytes.length);
        return p + bytes.length;
    }

    private void write(byte b) throws IOException {
        if (used == buffer.length) {
            drain();
        }
        buffer[used++] = b;
    }

    private void write(byte[] bytes) throws IOException {
        if (bytes.length > buffer.length - used) {
            drain();
            if (bytes.length > buffer.length) {
                out.write(bytes);
                return;
            }
        }
        System.arraycopy(bytes, 0, buffer, used, bytes.length);
        used += bytes.length;
    }

    private void drain() throws IOException {
        out.write(buffer, 0, used);
        used = 0;
    }

    void flush() throws IOException {
        drain();
        out.flush();
    }
}
