package io.runwatch.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.config.Settings;
import io.runwatch.contract.Json;
import io.runwatch.ingest.ContractRecord;
import io.runwatch.ingest.evals.EvalFileResult;
import io.runwatch.ingest.evals.EvalResultParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Imports each evaluation trajectory ({@code <run>/} beside {@code <run>.expected.jsonl}) the way
 * {@code import-evals --run <run> <run>/} does, and compares the records with the expected ones as sets of
 * (run, step, benchmark, metric, value, stderr, n).
 */
final class EvalTrajectories {
    /** Field values compared; doubles exactly, as the harness wrote them. */
    record Key(String run, long step, String benchmark, String metric, double value, Double stderr, Integer n) {
        static Key of(JsonNode record) {
            return new Key(record.get("run").asText(), record.get("step").asLong(),
                    record.get("benchmark").asText(), record.path("metric").asText("acc"),
                    record.get("value").asDouble(),
                    record.hasNonNull("stderr") ? record.get("stderr").asDouble() : null,
                    record.hasNonNull("n") ? record.get("n").asInt() : null);
        }
    }

    record Row(String run, int files, int expected, int matched, int missing, int spurious,
               Map<String, Integer> stepSources, List<String> missingExamples, List<String> spuriousExamples) {
    }

    private EvalTrajectories() {
    }

    /** The trajectories of a raw directory: every {@code X.expected.jsonl} with its directory {@code X}. */
    static List<Path> runsUnder(Path raw) throws IOException {
        try (Stream<Path> files = Files.list(raw)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".expected.jsonl"))
                    .map(p -> raw.resolve(p.getFileName().toString().replace(".expected.jsonl", "")))
                    .filter(Files::isDirectory).sorted().toList();
        }
    }

    static Row compare(Path runDir) throws IOException {
        String run = runDir.getFileName().toString();
        EvalResultParser parser = new EvalResultParser(Settings.defaults().integer(Settings.MAX_RECORD_BYTES));
        Map<String, Integer> sources = new TreeMap<>();
        List<Key> produced = new ArrayList<>();
        int files = 0;
        for (EvalFiles.Candidate candidate : EvalFiles.list(runDir)) {
            EvalFileResult result = EvalFiles.read(parser, run, candidate, OptionalLong.empty());
            files++;
            sources.merge(result.step().source().label(), 1, Integer::sum);
            for (ContractRecord record : result.records()) {
                produced.add(Key.of(tree(record.json())));
            }
        }
        Set<Key> expected = new HashSet<>();
        for (String line : Files.readAllLines(runDir.resolveSibling(run + ".expected.jsonl"))) {
            if (!line.isBlank()) {
                expected.add(Key.of(tree(line)));
            }
        }
        Set<Key> got = new HashSet<>(produced);
        Set<Key> missing = new HashSet<>(expected);
        missing.removeAll(got);
        Set<Key> spurious = new HashSet<>(got);
        spurious.removeAll(expected);
        // A record produced twice counts as spurious too: the expected files hold each record once.
        int duplicates = produced.size() - got.size();
        return new Row(run, files, expected.size(), expected.size() - missing.size(), missing.size(),
                spurious.size() + duplicates, sources, missing.stream().limit(3).map(Key::toString).toList(),
                spurious.stream().limit(3).map(Key::toString).toList());
    }

    private static JsonNode tree(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
