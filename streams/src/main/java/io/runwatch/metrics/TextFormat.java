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
    private final byte[] buffer = new byte[1 << 16];
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

    void sample(byte[] name, byte[] labels, double value) throws IOException {
        write(name);
        write(labels);
        writeDouble(value);
        write((byte) '\n');
    }

    private void writeDouble(double value) throws IOException {
        if (value == Double.POSITIVE_INFINITY) {
            write(PLUS_INF);
        } else if (value == Double.NEGATIVE_INFINITY) {
            write(MINUS_INF);
        } else if (value == Math.rint(value) && Math.abs(value) < PLAIN_LIMIT
                && Double.doubleToRawLongBits(value) != Double.doubleToRawLongBits(-0.0)) {
            // Steps, counters, whole seconds: Double.toString would print the digits and ".0", without the garbage.
            long whole = (long) value;
            if (whole < 0) {
                write((byte) '-');
                whole = -whole;
            }
            writeDigits(whole);
            write((byte) '.');
            write((byte) '0');
        } else {
            String text = Double.toString(value);
            for (int i = 0; i < text.length(); i++) {
                write((byte) text.charAt(i));
            }
        }
    }

    private void writeDigits(long value) throws IOException {
        if (value >= 10) {
            writeDigits(value / 10);
        }
        write((byte) ('0' + value % 10));
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
