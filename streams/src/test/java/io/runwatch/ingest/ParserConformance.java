package io.runwatch.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.contract.InputParser;
import io.runwatch.contract.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Runs {@code --format auto} over every bundled real log ({@code src/test/resources/trainlogs/raw}) and compares the
 * records with the expected conversion beside it ({@code .../expected}, rules in {@code NOTICE.md}); with
 * {@link #main} it also prints the per-format table and measures parsing speed on a ~100 MB backfill made by
 * concatenating each log (a temp file, deleted afterwards):
 * <pre>mvn -B -o -q -pl streams test-compile exec:java -Dexec.mainClass=io.runwatch.ingest.ParserConformance \
 *     -Dexec.classpathScope=test [-Dexec.args="--backfill-mb 100 --formats megatron,hf"]</pre>
 *
 * <p>Records are compared as groups: consecutive records of one step are one step (a validation result sent after its
 * step's record is part of that step), and the emitted steps must follow the expected ones in order, rewinds
 * included. A grad norm of exactly 0.0 in an expected file is a fork's placeholder ({@code grad norm: 0.000} on every
 * line), which the parsers leave out: it is counted apart, not as coverage.
 */
public final class ParserConformance {
    /** A raw log whose expected file has another stem (SOURCES.md: the excerpt of nanoGPT issue 215). */
    private static final Map<String, String> EXPECTED_STEM = Map.of("nanogpt_issue215_excerpt",
            "nanogpt_issue215_fp16_nan");
    /** The format auto must detect, by file-name prefix; modded-nanogpt's AdamW record is llm.c's main.log. */
    private static final Map<String, String> FORMAT_BY_PREFIX = new LinkedHashMap<>();

    static {
        FORMAT_BY_PREFIX.put("mng_adamw", "llmc");
        FORMAT_BY_PREFIX.put("megatron", "megatron");
        FORMAT_BY_PREFIX.put("neox", "megatron");
        FORMAT_BY_PREFIX.put("nemo", "nemo");
        FORMAT_BY_PREFIX.put("hfstate", "hf-state");
        FORMAT_BY_PREFIX.put("hf", "hf");
        FORMAT_BY_PREFIX.put("litgpt", "litgpt");
        FORMAT_BY_PREFIX.put("mmengine", "mmengine");
        FORMAT_BY_PREFIX.put("nanogpt", "nanogpt");
        FORMAT_BY_PREFIX.put("llmc", "llmc");
        FORMAT_BY_PREFIX.put("mng", "modded-nanogpt");
        FORMAT_BY_PREFIX.put("torchtitan", "torchtitan");
        FORMAT_BY_PREFIX.put("fairseq", "fairseq");
        FORMAT_BY_PREFIX.put("olmo", "olmo");
        FORMAT_BY_PREFIX.put("nanotron", "nanotron");
    }

    private ParserConformance() {
    }

    /** One bundled log and its expected conversion. */
    record Case(String name, String stem, byte[] raw, List<JsonNode> expected, String expectedFormat) {
    }

    /** What auto made of one log, compared with the expected conversion. */
    record Result(Case source, String detectedFormat, List<ContractRecord> records, int lines, int unparsed,
            int expectedSteps, int matchedSteps, int spuriousSteps, int expectedLosses, int matchedLosses,
            int extraLosses, int expectedGradNorms, int matchedGradNorms, int placeholderGradNorms,
            List<String> invalidRecords, List<String> mismatches) {

        double lossCoverage() {
            return expectedLosses == 0 ? 1 : (double) matchedLosses / expectedLosses;
        }

        double gradCoverage() {
            return expectedGradNorms == 0 ? 1 : (double) matchedGradNorms / expectedGradNorms;
        }
    }

    static List<Case> cases() {
        Path rawDir = resource("/trainlogs/raw");
        Path expectedDir = resource("/trainlogs/expected");
        List<Case> cases = new ArrayList<>();
        try (Stream<Path> files = Files.list(rawDir)) {
            for (Path raw : files.sorted().toList()) {
                String file = raw.getFileName().toString().replaceFirst("\\.gz$", "");
                String stem = file.substring(0, file.lastIndexOf('.'));
                String expectedStem = EXPECTED_STEM.getOrDefault(stem, stem);
                Path expected = expectedDir.resolve(expectedStem + ".jsonl");
                if (!Files.exists(expected)) {
                    expected = expectedDir.resolve(expectedStem + ".jsonl.gz");
                }
                List<JsonNode> rows = new ArrayList<>();
                for (String line : new String(read(expected), StandardCharsets.UTF_8).split("\n")) {
                    if (!line.isBlank()) {
                        rows.add(Json.MAPPER.readTree(line));
                    }
                }
                cases.add(new Case(file, stem, read(raw), rows, formatOf(stem)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return cases;
    }

    private static String formatOf(String stem) {
        for (Map.Entry<String, String> e : FORMAT_BY_PREFIX.entrySet()) {
            if (stem.startsWith(e.getKey())) {
                return e.getValue();
            }
        }
        throw new IllegalStateException("no format known for " + stem);
    }

    /** Feeds the raw bytes through a {@link LineSplitter} in uneven chunks, like a tailer reading a growing file. */
    static Result run(Case c) {
        TrainerLogParser parser = TrainerLogFormats.create("auto", c.stem, null);
        LineSplitter splitter = new LineSplitter();
        List<ContractRecord> records = new ArrayList<>();
        int lines = 0;
        int unparsed = 0;
        int chunk = 4093;
        for (int off = 0; off < c.raw.length; off += chunk) {
            for (String line : splitter.feed(c.raw, off, Math.min(chunk, c.raw.length - off))) {
                LineOutcome outcome = parser.accept(line);
                lines++;
                unparsed += outcome.status() == LineOutcome.Status.UNPARSED ? 1 : 0;
                records.addAll(outcome.records());
            }
        }
        String last = splitter.finish();
        if (last != null) {
            LineOutcome outcome = parser.accept(last);
            lines++;
            unparsed += outcome.status() == LineOutcome.Status.UNPARSED ? 1 : 0;
            records.addAll(outcome.records());
        }
        records.addAll(parser.flush());
        return compare(c, parser.format(), records, lines, unparsed);
    }

    private static final class Group {
        final long step;
        final Map<String, Double> fields = new LinkedHashMap<>();

        Group(long step) {
            this.step = step;
        }
    }

    private static List<Group> groups(List<JsonNode> rows) {
        List<Group> groups = new ArrayList<>();
        for (JsonNode row : rows) {
            long step = row.get("step").asLong();
            if (groups.isEmpty() || groups.get(groups.size() - 1).step != step) {
                groups.add(new Group(step));
            }
            Group g = groups.get(groups.size() - 1);
            for (String field : List.of("loss", "grad_norm", "val_loss")) {
                JsonNode v = row.get(field);
                if (v != null && v.isNumber()) {
                    g.fields.putIfAbsent(field, v.doubleValue());
                }
            }
        }
        return groups;
    }

    static Result compare(Case c, String format, List<ContractRecord> records, int lines, int unparsed) {
        InputParser contract = new InputParser(1 << 20);
        List<String> invalid = new ArrayList<>();
        List<JsonNode> emittedRows = new ArrayList<>();
        for (ContractRecord r : records) {
            if (!contract.parse(r.kind(), r.json().getBytes(StandardCharsets.UTF_8), 0).isOk()) {
                invalid.add(r.json());
            }
            if (r.kind() == InputParser.Kind.METRICS) {
                try {
                    emittedRows.add(Json.MAPPER.readTree(r.json()));
                } catch (IOException e) {
                    invalid.add(r.json());
                }
            }
        }
        List<Group> expected = groups(c.expected);
        List<Group> emitted = groups(emittedRows);
        List<String> mismatches = new ArrayList<>();
        int matchedSteps = 0;
        int spurious = 0;
        int expectedLosses = 0;
        int matchedLosses = 0;
        int extraLosses = 0;
        int expectedGrads = 0;
        int matchedGrads = 0;
        int placeholders = 0;
        Group[] matchOf = new Group[expected.size()];
        int next = 0;
        for (Group g : emitted) {
            int j = next;
            while (j < expected.size() && expected.get(j).step != g.step) {
                j++;
            }
            if (j == expected.size()) {
                spurious++;
                if (mismatches.size() < 10) {
                    mismatches.add("spurious step " + g.step + " " + g.fields);
                }
                continue;
            }
            matchOf[j] = g;
            next = j + 1;
            matchedSteps++;
        }
        for (int j = 0; j < expected.size(); j++) {
            Group want = expected.get(j);
            Group got = matchOf[j];
            Double loss = want.fields.get("loss");
            if (loss != null) {
                expectedLosses++;
                if (got != null && same(loss, got.fields.get("loss"))) {
                    matchedLosses++;
                } else if (mismatches.size() < 10) {
                    mismatches.add("step " + want.step + " loss " + loss + " got "
                            + (got == null ? "no record" : got.fields.get("loss")));
                }
            } else if (got != null && got.fields.containsKey("loss")) {
                extraLosses++;
                if (mismatches.size() < 10) {
                    mismatches.add("step " + want.step + " has no loss, got " + got.fields.get("loss"));
                }
            }
            Double grad = want.fields.get("grad_norm");
            if (grad != null && grad == 0.0) {
                placeholders++;
            } else if (grad != null) {
                expectedGrads++;
                if (got != null && same(grad, got.fields.get("grad_norm"))) {
                    matchedGrads++;
                } else if (mismatches.size() < 10) {
                    mismatches.add("step " + want.step + " grad_norm " + grad + " got "
                            + (got == null ? "no record" : got.fields.get("grad_norm")));
                }
            }
        }
        return new Result(c, format, records, lines, unparsed, expected.size(), matchedSteps, spurious,
                expectedLosses, matchedLosses, extraLosses, expectedGrads, matchedGrads, placeholders, invalid,
                mismatches);
    }

    private static boolean same(double want, Double got) {
        if (got == null) {
            return false;
        }
        if (Double.isNaN(want) || Double.isNaN(got)) {
            return Double.isNaN(want) && Double.isNaN(got);
        }
        return Math.abs(want - got) <= 1e-6 * Math.max(1, Math.abs(want));
    }

    public static void main(String[] args) throws IOException {
        int backfillMb = 100;
        List<String> only = List.of();
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--backfill-mb")) {
                backfillMb = Integer.parseInt(args[i + 1]);
            } else if (args[i].equals("--formats")) {
                only = List.of(args[i + 1].split(","));
            }
        }
        List<Case> cases = cases();
        System.out.printf(Locale.ROOT, "%-15s %-44s %6s %7s %5s %8s %9s %9s %12s%n", "format", "file", "steps",
                "matched", "spur", "losses", "loss-cov", "grad-cov", "unparsed");
        Map<String, Case> backfillSource = new LinkedHashMap<>();
        for (Case c : cases) {
            Result r = run(c);
            System.out.printf(Locale.ROOT, "%-15s %-44s %6d %7d %5d %8s %8.1f%% %9s %12s%n", r.detectedFormat(),
                    c.name(), r.expectedSteps(), r.matchedSteps(), r.spuriousSteps(),
                    r.matchedLosses() + "/" + r.expectedLosses(), 100 * r.lossCoverage(),
                    r.expectedGradNorms() == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * r.gradCoverage()),
                    r.unparsed() + "/" + r.lines());
            for (String m : r.mismatches()) {
                System.out.println("    " + m);
            }
            Case biggest = backfillSource.get(r.detectedFormat());
            if (biggest == null || biggest.raw().length < c.raw().length) {
                backfillSource.put(r.detectedFormat(), c);
            }
        }
        if (backfillMb <= 0) {
            return;
        }
        System.out.printf(Locale.ROOT, "%nbackfill: each format's largest log concatenated to ~%d MB, read from a "
                + "temp file in 1 MB chunks through LineSplitter and the format's parser, one thread. cpu = that "
                + "thread's CPU time (the machine is shared: wall time includes waiting for a core); lines/s by cpu%n",
                backfillMb);
        System.out.printf(Locale.ROOT, "%-15s %-40s %7s %10s %9s %11s %8s %8s %8s%n", "format", "source", "MB", "lines",
                "records", "lines/s", "cpu s", "wall s", "MB/cpu-s");
        for (Map.Entry<String, Case> e : backfillSource.entrySet()) {
            if (only.isEmpty() || only.contains(e.getKey())) {
                backfill(e.getKey(), e.getValue(), backfillMb);
            }
        }
    }

    private static void backfill(String format, Case c, int megabytes) throws IOException {
        Path file = Files.createTempFile("runwatch-backfill-", ".log");
        try {
            long target = (long) megabytes << 20;
            try (OutputStream out = Files.newOutputStream(file)) {
                for (long written = 0; written < target; written += c.raw().length + 1) {
                    out.write(c.raw());
                    out.write('\n');
                }
            }
            long bytes = Files.size(file);
            TrainerLogParser parser = TrainerLogFormats.create(format, "backfill", null);
            LineSplitter splitter = new LineSplitter();
            byte[] buffer = new byte[1 << 20];
            long lines = 0;
            long records = 0;
            java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
            long cpuStart = threads.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            try (InputStream in = Files.newInputStream(file)) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    for (String line : splitter.feed(buffer, 0, n)) {
                        records += parser.accept(line).records().size();
                        lines++;
                    }
                }
            }
            records += parser.flush().size();
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpu = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9;
            System.out.printf(Locale.ROOT, "%-15s %-40s %7.1f %10d %9d %11.0f %8.2f %8.2f %8.1f%n", format,
                    c.name().length() > 40 ? c.name().substring(0, 40) : c.name(), bytes / 1048576.0, lines, records,
                    lines / cpu, cpu, seconds, bytes / 1048576.0 / cpu);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    static Path resource(String name) {
        try {
            return Path.of(ParserConformance.class.getResource(name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource " + name + " not found", e);
        }
    }

    static byte[] read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (!file.getFileName().toString().endsWith(".gz")) {
            return bytes;
        }
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(bytes))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length * 4);
            in.transferTo(out);
            return out.toByteArray();
        }
    }
}
