package io.runwatch.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark's output: a heading that says on what machine and under what load it was measured, then one
 * markdown table per measurement. Cells are plain numbers (no thousands separators) so that the README table can
 * be pasted as printed and a test can check that every cell parses.
 */
public final class BenchReport {
    public static final String DRAIN_IDENTITY = "identity Streams app (exactly_once_v2)";
    public static final String DRAIN_RUNWATCH = "runwatch topology";
    public static final String DRAIN_DETECTORS = "detectors alone (no Kafka): parse + training + liveness";
    public static final String LATENCY_ALERTS = "produce → `nonfinite` record on runwatch.alerts (read_committed)";
    public static final String LATENCY_METRICS = "produce → `runwatch_alert_active{type=\"nonfinite\"}` on /metrics";
    public static final String LATENCY_LOAD = "background load";
    public static final String LENGTH_FIRST = "first";
    public static final String LENGTH_LAST = "last";

    /** One table: a title line, a header, rows whose first cell is a label and whose other cells are numbers. */
    public record Table(String title, List<String> header, List<List<String>> rows, List<String> notes) {
        public Table(String title, List<String> header) {
            this(title, header, new ArrayList<>(), new ArrayList<>());
        }

        /** A line printed under the table (what was not measured, and why). */
        public void note(String line) {
            notes.add(line);
        }

        public void row(String label, double... numbers) {
            List<String> cells = new ArrayList<>();
            cells.add(label);
            for (double number : numbers) {
                cells.add(number(number));
            }
            rows.add(cells);
        }
    }

    private final List<String> heading = new ArrayList<>();
    private final List<Table> tables = new ArrayList<>();

    public void heading(String line) {
        heading.add(line);
    }

    public Table table(String title, List<String> header) {
        Table table = new Table(title, header);
        tables.add(table);
        return table;
    }

    public List<Table> tables() {
        return tables;
    }

    /** Three significant digits at most, no grouping; NaN (not measured) as "NaN" so that a test notices it. */
    static String number(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return "NaN";
        }
        double magnitude = Math.abs(value);
        if (magnitude >= 100 || value == Math.rint(value)) {
            return String.format(Locale.ROOT, "%.0f", value);
        }
        if (magnitude >= 10) {
            return String.format(Locale.ROOT, "%.1f", value);
        }
        if (magnitude >= 1) {
            return String.format(Locale.ROOT, "%.2f", value);
        }
        return String.format(Locale.ROOT, "%.3g", value);
    }

    public String markdown() {
        StringBuilder out = new StringBuilder();
        heading.forEach(line -> out.append(line).append('\n'));
        for (Table table : tables) {
            out.append('\n').append(table.title()).append("\n\n");
            out.append("| ").append(String.join(" | ", table.header())).append(" |\n");
            out.append("|").append("---|".repeat(table.header().size())).append('\n');
            for (List<String> row : table.rows()) {
                out.append("| ").append(String.join(" | ", row)).append(" |\n");
            }
            if (!table.notes().isEmpty()) {
                out.append('\n');
                table.notes().forEach(note -> out.append(note).append('\n'));
            }
        }
        return out.toString();
    }
}
