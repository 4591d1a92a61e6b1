package io.runwatch.evaluate;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.contract.Json;
import io.runwatch.core.EvalPoint;
import io.runwatch.core.RunInput;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The real per-checkpoint evaluations of {@code ../shared/data/evals} (Pythia, BigScience 1B3 ablations,
 * OLMo-2) as a live run would emit them: per run, checkpoint by checkpoint. The OLMo-2 ladder 190M and 1B
 * runs of one config (original, rerun, seed-1, seed-1-init) are also replayed merged as one run with four
 * seeds. Hindsight labels come from {@code evals/real-trajectory-labels.tsv}.
 */
public final class EvalRealData {
    static final Set<String> LOWER_IS_BETTER = Set.of("ppl", "bpb", "ce_loss");
    static final Set<String> SEED_GROUPS = Set.of("olmo2-ladder_190M-1xC", "olmo2-ladder_1B-1xC");
    /** Suffix of the runs merged from a seed group: replayed and labelled, but not a run anyone trained. */
    static final String MERGED_SEEDS_SUFFIX = "_4seeds";
    private static final String LABELS = "/evals/real-trajectory-labels.tsv";

    private EvalRealData() {
    }

    /** Every point, runs one after the other, each run in step order; record time follows that order. */
    public static List<RunInput> load(Path evalsDir) {
        Map<String, List<EvalPoint>> byRun = new HashMap<>();
        List<Path> files;
        try (Stream<Path> list = Files.list(evalsDir)) {
            files = list.filter(f -> f.toString().endsWith(".jsonl")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Path file : files) {
            try (BufferedReader reader = Files.newBufferedReader(file)) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    EvalPoint p = parse(Json.MAPPER.readTree(line));
                    byRun.computeIfAbsent(p.run(), r -> new ArrayList<>()).add(p);
                    String group = p.run().substring(0, Math.max(0, p.run().lastIndexOf('_')));
                    if (SEED_GROUPS.contains(group)) {
                        byRun.computeIfAbsent(group + MERGED_SEEDS_SUFFIX, r -> new ArrayList<>())
                                .add(renamed(p, group + MERGED_SEEDS_SUFFIX));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        List<RunInput> inputs = new ArrayList<>();
        long time = 1_700_000_000_000L;
        for (String run : byRun.keySet().stream().sorted().toList()) {
            List<EvalPoint> points = byRun.get(run);
            points.sort(Comparator.comparingLong(EvalPoint::step).thenComparing(EvalPoint::trajectoryKey));
            for (EvalPoint p : points) {
                inputs.add(RunInput.of(withTime(p, time++)));
            }
        }
        return inputs;
    }

    /** run → label → trajectory keys ("benchmark:metric"). */
    public static Map<String, Map<String, Set<String>>> labels() {
        Map<String, Map<String, Set<String>>> labels = new HashMap<>();
        try (InputStream in = EvalRealData.class.getResourceAsStream(LABELS);
             BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.startsWith("#") || line.isBlank()) {
                    continue;
                }
                String[] fields = line.split("\t");
                labels.computeIfAbsent(fields[0], r -> new HashMap<>()).put(fields[1], Set.of(fields[2].split(",")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return labels;
    }

    private static EvalPoint parse(JsonNode n) {
        String metric = n.get("metric").asText();
        return new EvalPoint(n.get("run").asText(), n.get("step").asLong(), n.get("benchmark").asText(), metric,
                n.get("value").asDouble(), n.has("stderr") ? n.get("stderr").asDouble() : null,
                n.has("n") ? n.get("n").asInt() : null, n.has("seed") ? n.get("seed").asText() : null, null,
                n.has("tokens") ? n.get("tokens").asLong() : null, 0, !LOWER_IS_BETTER.contains(metric));
    }

    private static EvalPoint renamed(EvalPoint p, String run) {
        return new EvalPoint(run, p.step(), p.benchmark(), p.metric(), p.value(), p.stderr(), p.n(), p.seed(),
                p.capability(), p.tokens(), p.timeMs(), p.higherIsBetter());
    }

    private static EvalPoint withTime(EvalPoint p, long timeMs) {
        return new EvalPoint(p.run(), p.step(), p.benchmark(), p.metric(), p.value(), p.stderr(), p.n(), p.seed(),
                p.capability(), p.tokens(), timeMs, p.higherIsBetter());
    }
}
