package io.runwatch.ingest.evals;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runwatch.contract.InputParser;
import io.runwatch.contract.Json;
import io.runwatch.ingest.ContractRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Reads one evaluation result file into {@code runwatch.evals} records. Pure: the file's text and its path go
 * in, records and a report come out; no I/O, no clock. The format is told from the content: lm-evaluation-harness
 * v0.3 and v0.4+, the BigScience fork, or a CSV / JSON-lines table of step, benchmark, metric, value.
 *
 * <p>The checkpoint step comes from, in order: a field of the file, the model arguments, the path, the
 * {@code --step} fallback. Every record is checked by {@link InputParser} before it is returned, so the importer
 * can never send what the topology would refuse; non-finite scores (which the contract cannot carry) are counted.
 */
public final class EvalResultParser {
    /** Keys of a harness task entry that are never metrics, even when numeric. */
    private static final Set<String> NOT_METRICS = Set.of("alias", "samples", "sample_count", "num_samples",
            "name", "n", "task_name", "prompt_name", "prompt_id", "dataset_path", "dataset_name", "subset");
    /**
     * Metrics whose direction a v0.3 or BigScience file does not state and the contract's default (true unless
     * loss-like) gets wrong: perplexities, and crows_pairs' bias measures (lower means less stereotyped; the
     * harness's own v0.3 code says "for all metrics lower is better").
     */
    private static final Set<String> LOWER_IS_BETTER = Set.of("ppl", "perplexity", "word_perplexity",
            "byte_perplexity", "token_perplexity", "bits_per_byte", "bpb", "likelihood_difference",
            "pct_stereotype", "ter", "loss", "nll");
    private static final int MAX_NOTES = 8;
    /** Epoch seconds between 2000 and 2100: a harness {@code date} outside this is not a wall time. */
    private static final double MIN_EPOCH_S = 946_684_800;
    private static final double MAX_EPOCH_S = 4_102_444_800.0;

    private final InputParser contract;

    public EvalResultParser(int maxRecordBytes) {
        this.contract = new InputParser(maxRecordBytes);
    }

    /**
     * @param run          the run id every record gets ({@code --run})
     * @param path         the file's path, {@code /}-separated; its names are a step source
     * @param text         the file's content
     * @param fallbackStep {@code --step}, used when nothing else says
     */
    public EvalFileResult parse(String run, String path, String text, OptionalLong fallbackStep) {
        Parse parse = new Parse(run, path, fallbackStep);
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            return parse.result(EvalFormat.NOT_RESULTS, StepOrigin.NONE, "empty file");
        }
        if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
            JsonNode root;
            try {
                root = Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(trimmed);
            } catch (JsonProcessingException e) {
                if (trimmed.startsWith("{") && trimmed.indexOf('\n') > 0 && firstLineIsAnObject(trimmed)) {
                    return parse.jsonLines(trimmed);
                }
                return parse.result(EvalFormat.UNREADABLE, StepOrigin.NONE,
                        "malformed JSON (still being written?): " + e.getOriginalMessage());
            }
            return parse.json(root);
        }
        return parse.table(text);
    }

    private static boolean firstLineIsAnObject(String text) {
        try {
            return Json.MAPPER.readTree(text.substring(0, text.indexOf('\n'))).isObject();
        } catch (JsonProcessingException e) {
            return false;
        }
    }

    /** One file's parse: its records, counts and notes. */
    private final class Parse {
        final String run;
        final String path;
        final OptionalLong fallbackStep;
        final List<ContractRecord> records = new ArrayList<>();
        final List<String> notes = new ArrayList<>();
        final Set<String> seen = new HashSet<>();
        int nonFinite;
        int unparsedRows;
        int refused;

        Parse(String run, String path, OptionalLong fallbackStep) {
            this.run = run;
            this.path = path;
            this.fallbackStep = fallbackStep;
        }

        EvalFileResult result(EvalFormat format, StepOrigin step, String note) {
            if (note != null) {
                notes.add(0, note);
            }
            if (nonFinite > 0) {
                note(nonFinite + " non-finite score(s) not sent (the contract needs finite values)");
            }
            if (refused > 0) {
                note(refused + " record(s) refused by the input contract, not sent");
            }
            return new EvalFileResult(path, format, step, records, nonFinite, unparsedRows, notes);
        }

        void note(String note) {
            if (notes.size() < MAX_NOTES) {
                notes.add(note);
            }
        }

        /** The step of a whole file: field, model args, path, --step, in that order; disagreements noted. */
        StepOrigin fileStep(JsonNode root) {
            List<StepOrigin> found = new ArrayList<>();
            StepFinder.fromFields(root).ifPresent(found::add);
            JsonNode config = root.get("config");
            if (config != null && config.isObject()) {
                StepFinder.fromModelArgs(config.get("model_args")).ifPresent(found::add);
            }
            StepFinder.fromPath(path).ifPresent(found::add);
            if (found.isEmpty()) {
                return fallback();
            }
            StepOrigin chosen = found.get(0);
            for (StepOrigin other : found.subList(1, found.size())) {
                if (other.step() != chosen.step()) {
                    note("step " + chosen.step() + " from " + chosen.source().label() + " (" + chosen.detail()
                            + ") disagrees with " + other.source().label() + " (" + other.detail() + " says "
                            + other.step() + "); " + chosen.source().label() + " wins");
                }
            }
            return chosen;
        }

        StepOrigin fallback() {
            Optional<StepOrigin> fromPath = StepFinder.fromPath(path);
            if (fromPath.isPresent()) {
                return fromPath.get();
            }
            if (fallbackStep.isPresent()) {
                return new StepOrigin(StepSource.FALLBACK, fallbackStep.getAsLong(), "--step "
                        + fallbackStep.getAsLong());
            }
            return StepOrigin.NONE;
        }

        EvalFileResult json(JsonNode root) {
            if (root.isArray()) {
                return rows(rowsOf(root), EvalFormat.JSON_LINES);
            }
            if (!root.isObject()) {
                return result(EvalFormat.NOT_RESULTS, StepOrigin.NONE, "not a JSON object");
            }
            JsonNode results = root.get("results");
            if (results == null) {
                if (looksLikeRow(root)) {
                    return rows(List.of(root), EvalFormat.JSON_LINES);
                }
                return result(EvalFormat.NOT_RESULTS, StepOrigin.NONE, "no \"results\" in this JSON file");
            }
            if (results.isArray()) {
                return bigScience(root, results);
            }
            if (!results.isObject()) {
                return result(EvalFormat.NOT_RESULTS, StepOrigin.NONE, "\"results\" is neither an object nor a list");
            }
            return harness(root, (ObjectNode) results);
        }

        /** lm-evaluation-harness v0.3 and v0.4+: {@code results} maps a task to its metrics. */
        EvalFileResult harness(JsonNode root, ObjectNode results) {
            EvalFormat format = isV04(root, results) ? EvalFormat.LM_EVAL_V04 : EvalFormat.LM_EVAL_V03;
            StepOrigin step = fileStep(root);
            if (!step.found()) {
                return result(format, step, "no step: not in the file, its model_args or its path; give --step");
            }
            Long time = evaluationTime(root);
            List<Map.Entry<String, JsonNode>> tasks = new ArrayList<>();
            results.fields().forEachRemaining(tasks::add);
            // Newer harnesses repeat group aggregates under "groups"; older ones only have them in "results".
            JsonNode groups = root.get("groups");
            if (groups != null && groups.isObject()) {
                groups.fields().forEachRemaining(tasks::add);
            }
            for (Map.Entry<String, JsonNode> task : tasks) {
                if (!task.getValue().isObject()) {
                    continue;
                }
                Integer n = samples(root, task.getKey());
                metrics(task.getKey(), task.getValue(), step.step(), n, time,
                        metric -> higherIsBetter(root, task.getKey(), metric));
            }
            return result(format, step, null);
        }

        /** The BigScience fork: {@code results} is a list of {task_name, prompt_name, metric, metric_stderr...}. */
        EvalFileResult bigScience(JsonNode root, JsonNode results) {
            StepOrigin step = fileStep(root);
            if (!step.found()) {
                return result(EvalFormat.BIGSCIENCE, step,
                        "no step: not in the file, its model_args or its path; give --step");
            }
            for (JsonNode entry : results) {
                if (!entry.isObject() || !entry.path("task_name").isTextual()) {
                    unparsedRows++;
                    continue;
                }
                String prompt = entry.path("prompt_name").isTextual() ? entry.get("prompt_name").asText() : null;
                String benchmark = entry.get("task_name").asText() + (prompt == null ? "" : "+" + prompt);
                metrics(benchmark, entry, step.step(), null, null, metric -> defaultDirection(metric));
            }
            return result(EvalFormat.BIGSCIENCE, step, null);
        }

        /**
         * Every metric of one task entry. v0.4 keys are {@code metric,filter}: the filter {@code none} is dropped,
         * any other is joined with {@code _}; the stderr twin is {@code metric_stderr[,filter]}. Strings (the
         * v0.4 {@code "N/A"}), booleans and {@code alias} are not metrics.
         */
        void metrics(String benchmark, JsonNode entry, long step, Integer n, Long time,
                     java.util.function.Function<String, Boolean> direction) {
            Iterator<Map.Entry<String, JsonNode>> it = entry.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> field = it.next();
                String key = field.getKey();
                int comma = key.indexOf(',');
                String name = comma < 0 ? key : key.substring(0, comma);
                String filter = comma < 0 ? null : key.substring(comma + 1);
                JsonNode value = field.getValue();
                if (NOT_METRICS.contains(name) || name.endsWith("_stderr") || !value.isNumber()) {
                    continue;
                }
                String metric = filter == null || filter.equals("none") ? name : name + "_" + filter;
                if (!seen.add(benchmark + "\u0000" + metric)) {
                    continue; // a group listed both in results and in groups
                }
                double score = value.doubleValue();
                if (!Double.isFinite(score)) {
                    nonFinite++;
                    note(benchmark + " " + metric + " is " + score + " at step " + step + ": not sent");
                    continue;
                }
                JsonNode stderrNode = entry.get(filter == null ? name + "_stderr" : name + "_stderr," + filter);
                Double stderr = null;
                if (stderrNode != null && stderrNode.isNumber()) {
                    double s = stderrNode.doubleValue();
                    if (Double.isFinite(s) && s >= 0) {
                        stderr = s;
                    } else {
                        note(benchmark + " " + metric + " stderr " + s + " at step " + step + " dropped");
                    }
                }
                emit(benchmark, metric, step, score, stderr, n, direction.apply(name), time, null);
            }
        }

        void emit(String benchmark, String metric, long step, double value, Double stderr, Integer n,
                  Boolean higherIsBetter, Long time, ObjectNode extra) {
            ObjectNode record = Json.MAPPER.createObjectNode();
            record.put("run", run);
            record.put("step", step);
            record.put("benchmark", benchmark);
            if (metric != null) {
                record.put("metric", metric);
            }
            record.put("value", value);
            if (stderr != null) {
                record.put("stderr", stderr);
            }
            if (n != null) {
                record.put("n", n);
            }
            if (higherIsBetter != null) {
                record.put("higher_is_better", higherIsBetter);
            }
            if (time != null) {
                record.put("time", time);
            }
            if (extra != null) {
                extra.fields().forEachRemaining(e -> record.set(e.getKey(), e.getValue()));
            }
            String json;
            try {
                json = Json.MAPPER.writeValueAsString(record);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot write a JSON tree", e);
            }
            var checked = contract.parse(InputParser.Kind.EVALS, json.getBytes(StandardCharsets.UTF_8), 0);
            if (!checked.isOk()) {
                refused++;
                note(benchmark + " " + metric + " at step " + step + " refused: " + checked.rejection().detail());
                return;
            }
            records.add(new ContractRecord(InputParser.Kind.EVALS, run, step, json));
        }

        /** v0.4 writes {@code metric,filter} keys and its own top-level sections; v0.3 has neither. */
        boolean isV04(JsonNode root, ObjectNode results) {
            for (String key : List.of("configs", "n-shot", "n-samples", "group_subtasks", "higher_is_better")) {
                if (root.has(key)) {
                    return true;
                }
            }
            Iterator<JsonNode> tasks = results.elements();
            while (tasks.hasNext()) {
                Iterator<String> keys = tasks.next().fieldNames();
                while (keys.hasNext()) {
                    if (keys.next().contains(",")) {
                        return true;
                    }
                }
            }
            return false;
        }

        /** {@code n-samples[task].effective} (harness ≥ 0.4.2): the items actually scored. */
        Integer samples(JsonNode root, String task) {
            JsonNode entry = root.path("n-samples").path(task);
            JsonNode n = entry.has("effective") ? entry.get("effective") : entry.get("original");
            return n != null && n.canConvertToInt() && n.isIntegralNumber() && n.asInt() >= 0 ? n.asInt() : null;
        }

        /**
         * A top-level {@code higher_is_better[task][metric]} (≥ 0.4.2), else the task config's metric_list
         * (0.4.0–0.4.1), else the known lower-is-better metrics, else unstated (the contract's default).
         */
        Boolean higherIsBetter(JsonNode root, String task, String metric) {
            JsonNode top = root.path("higher_is_better").path(task).path(metric);
            if (top.isBoolean()) {
                return top.asBoolean();
            }
            for (JsonNode listed : root.path("configs").path(task).path("metric_list")) {
                if (metric.equals(listed.path("metric").asText(null)) && listed.path("higher_is_better").isBoolean()) {
                    return listed.get("higher_is_better").asBoolean();
                }
            }
            return defaultDirection(metric);
        }

        Boolean defaultDirection(String metric) {
            return LOWER_IS_BETTER.contains(metric.toLowerCase(Locale.ROOT)) ? Boolean.FALSE : null;
        }

        /** v0.4's {@code date}: epoch seconds when the evaluation began; v0.3 and the fork record no time. */
        Long evaluationTime(JsonNode root) {
            JsonNode date = root.get("date");
            if (date != null && date.isNumber() && date.doubleValue() > MIN_EPOCH_S
                    && date.doubleValue() < MAX_EPOCH_S) {
                return Math.round(date.doubleValue() * 1000);
            }
            return null;
        }

        EvalFileResult jsonLines(String text) {
            List<JsonNode> rows = new ArrayList<>();
            for (String line : text.split("\r?\n")) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    rows.add(Json.MAPPER.readTree(line));
                } catch (JsonProcessingException e) {
                    rows.add(null);
                }
            }
            return rows(rows, EvalFormat.JSON_LINES);
        }

        List<JsonNode> rowsOf(JsonNode array) {
            List<JsonNode> rows = new ArrayList<>();
            array.forEach(rows::add);
            return rows;
        }

        /** A CSV or TSV table with a header naming at least a benchmark and a value column. */
        EvalFileResult table(String text) {
            List<String> lines = text.lines().filter(l -> !l.isBlank()).toList();
            if (lines.isEmpty()) {
                return result(EvalFormat.NOT_RESULTS, StepOrigin.NONE, "empty file");
            }
            String header = lines.get(0);
            char separator = count(header, '\t') > count(header, ',') ? '\t' : ',';
            List<String> columns = Csv.split(header, separator);
            List<String> names = columns.stream().map(c -> Columns.canonical(c.strip())).toList();
            if (!names.contains("benchmark") || !names.contains("value")) {
                return result(EvalFormat.NOT_RESULTS, StepOrigin.NONE,
                        "not JSON, and no table header with benchmark and value columns");
            }
            List<JsonNode> rows = new ArrayList<>();
            for (String line : lines.subList(1, lines.size())) {
                List<String> cells = Csv.split(line, separator);
                if (cells.size() != names.size()) {
                    rows.add(null);
                    continue;
                }
                ObjectNode row = Json.MAPPER.createObjectNode();
                for (int i = 0; i < names.size(); i++) {
                    if (!cells.get(i).isBlank()) {
                        row.put(columns.get(i).strip(), cells.get(i).strip());
                    }
                }
                rows.add(row);
            }
            return rows(rows, EvalFormat.CSV);
        }

        private int count(String s, char c) {
            return (int) s.chars().filter(ch -> ch == c).count();
        }

        boolean looksLikeRow(JsonNode node) {
            Columns row = Columns.of(node);
            return row.benchmark() != null && row.value() != null;
        }

        /** Rows of a table (CSV cells as strings, JSON values as they are); null rows could not be read. */
        EvalFileResult rows(List<JsonNode> rows, EvalFormat format) {
            StepOrigin fileLevel = fallback();
            StepOrigin first = null;
            int fromFallback = 0;
            int withoutStep = 0;
            for (JsonNode node : rows) {
                if (node == null || !node.isObject()) {
                    unparsedRows++;
                    continue;
                }
                Columns row = Columns.of(node);
                if (row.benchmark() == null || row.value() == null) {
                    unparsedRows++;
                    continue;
                }
                Double value = Columns.number(row.value());
                if (value == null) {
                    unparsedRows++;
                    continue;
                }
                Optional<Long> ownStep = StepFinder.wholeNumber(row.step());
                long step;
                if (ownStep.isPresent()) {
                    step = ownStep.get();
                    if (first == null) {
                        first = new StepOrigin(StepSource.FIELD, step, "column " + row.stepColumn());
                    }
                } else if (fileLevel.found()) {
                    step = fileLevel.step();
                    fromFallback++;
                } else {
                    withoutStep++;
                    continue;
                }
                if (!Double.isFinite(value)) {
                    nonFinite++;
                    note(row.benchmark() + " " + row.metric() + " is " + value + " at step " + step + ": not sent");
                    continue;
                }
                Double stderr = row.stderr() == null ? null : Columns.number(row.stderr());
                if (stderr != null && !(Double.isFinite(stderr) && stderr >= 0)) {
                    note(row.benchmark() + " stderr " + stderr + " at step " + step + " dropped");
                    stderr = null;
                }
                Double n = row.n() == null ? null : Columns.number(row.n());
                Integer items = n != null && Double.isFinite(n) && n >= 0 ? (int) Math.round(n) : null;
                String metric = row.metric();
                Boolean higher = row.higherIsBetter() != null ? row.higherIsBetter()
                        : metric == null ? null : defaultDirection(metric);
                emit(row.benchmark(), metric, step, value, stderr, items, higher, null, row.extras());
            }
            if (withoutStep > 0) {
                note(withoutStep + " row(s) without a step and no step in the path or --step: not sent");
            }
            if (unparsedRows > 0) {
                note(unparsedRows + " row(s) are not evaluation records (need benchmark and a numeric value)");
            }
            if (!rows.isEmpty() && unparsedRows == rows.size()) {
                notes.clear();
                return result(EvalFormat.NOT_RESULTS, StepOrigin.NONE,
                        "no row has a benchmark and a numeric value (a per-sample log?)");
            }
            StepOrigin step = first != null ? first : fileLevel;
            if (first != null && fromFallback > 0) {
                note(fromFallback + " row(s) without a step took " + fileLevel);
            }
            if (first == null && !fileLevel.found() && records.isEmpty() && unparsedRows == 0 && withoutStep == 0) {
                return result(format, StepOrigin.NONE, "no rows");
            }
            return result(format, step, null);
        }
    }
}
