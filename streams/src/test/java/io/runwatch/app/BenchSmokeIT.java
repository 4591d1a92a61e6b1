package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.bench.BenchReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code runwatch bench --short} against its embedded broker prints a complete table: every section, every row,
 * every number measured. It asserts completeness, never speed (numbers come from the command, not from a test).
 */
class BenchSmokeIT {
    private static final Pattern LOAD = Pattern.compile("load average \\(1/5/15 min\\) [0-9.]+ / [0-9.]+ / [0-9.]+");

    @TempDir
    Path dir;

    @Test
    void theShortBenchPrintsEveryRowWithANumberInEveryCell() throws Exception {
        Path out = dir.resolve("bench.md");
        int code = Main.commandLine().execute("bench", "--short", "--work-dir", dir.resolve("work").toString(),
                "--out", out.toString());
        assertThat(code).isZero();
        String table = Files.readString(out);
        assertThat(table).contains(Runtime.getRuntime().availableProcessors() + " cores").containsPattern(LOAD);

        List<List<String>> rows = rows(table);
        assertThat(labels(rows)).containsSubsequence(BenchReport.DRAIN_IDENTITY, BenchReport.DRAIN_RUNWATCH,
                BenchReport.DRAIN_DETECTORS, BenchReport.LATENCY_ALERTS, BenchReport.LATENCY_METRICS,
                BenchReport.LATENCY_LOAD, "500", "1000", BenchReport.LENGTH_FIRST, BenchReport.LENGTH_LAST, "1", "2");
        assertThat(rows).hasSize(12);
        assertThat(table).doesNotContain("failed");
        for (List<String> row : rows) {
            for (String cell : row.subList(1, row.size())) {
                assertThat(Double.parseDouble(cell)).as("%s in %s", cell, row).isFinite();
            }
        }
        // scale-out: one instance and two instance JVMs, one thread each, over 12 partitions, and the cores
        List<List<String>> scaleOut = rows.subList(rows.size() - 2, rows.size());
        assertThat(scaleOut).extracting(row -> row.subList(0, 3)).containsExactly(List.of("1", "1", "12"),
                List.of("2", "1", "12"));
        assertThat(scaleOut).allSatisfy(row -> assertThat(row.get(8))
                .isEqualTo(Integer.toString(Runtime.getRuntime().availableProcessors())));
        // every NaN probe paged, on the topic and on /metrics: the latency rows are about real alerts
        for (List<String> row : rows) {
            if (row.get(0).equals(BenchReport.LATENCY_ALERTS) || row.get(0).equals(BenchReport.LATENCY_METRICS)) {
                assertThat(row.get(4)).as("probes seen in %s", row).isEqualTo(row.get(5));
            }
        }
    }

    /** Table body rows (not headers or separators), split into trimmed cells. */
    private static List<List<String>> rows(String markdown) {
        List<List<String>> rows = new ArrayList<>();
        boolean header = true;
        for (String line : markdown.split("\n")) {
            if (!line.startsWith("|")) {
                header = true;
                continue;
            }
            if (line.startsWith("|---")) {
                header = false;
                continue;
            }
            if (!header) {
                String[] cells = line.substring(1, line.length() - 1).split(" \\| ");
                rows.add(Arrays.stream(cells).map(String::trim).toList());
            }
        }
        return rows;
    }

    private static List<String> labels(List<List<String>> rows) {
        return rows.stream().map(row -> row.get(0)).toList();
    }
}
