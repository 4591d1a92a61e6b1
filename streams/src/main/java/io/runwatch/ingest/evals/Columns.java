package io.runwatch.ingest.evals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runwatch.contract.InputParser;
import io.runwatch.contract.Json;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One row of a CSV or JSON-lines result table, its columns found under the names people give them
 * ({@code task} for benchmark, {@code score} for value, {@code global_step} for step, ...).
 *
 * @param extras the contract's optional fields the row carries as they are: seed, capability, tokens, time
 */
record Columns(JsonNode step, String stepColumn, String benchmark, String metric, JsonNode value, JsonNode stderr,
               JsonNode n, Boolean higherIsBetter, ObjectNode extras) {

    private static final Map<String, List<String>> ALIASES = Map.of(
            "step", List.of("step", "global_step", "checkpoint_step", "iteration", "iter", "checkpoint"),
            "benchmark", List.of("benchmark", "task", "task_name", "dataset"),
            "metric", List.of("metric", "metric_name"),
            "value", List.of("value", "score", "result"),
            "stderr", List.of("stderr", "std_err", "stderr_value", "se"),
            "n", List.of("n", "n_samples", "num_samples", "samples"),
            "higher_is_better", List.of("higher_is_better"));
    private static final List<String> PASSED_THROUGH = List.of("seed", "capability", "tokens", "time");

    /** The contract name of a column header (lower case, aliases resolved); the header itself otherwise. */
    static String canonical(String column) {
        String lower = column.toLowerCase(Locale.ROOT);
        for (Map.Entry<String, List<String>> alias : ALIASES.entrySet()) {
            if (alias.getValue().contains(lower)) {
                return alias.getKey();
            }
        }
        return lower;
    }

    static Columns of(JsonNode row) {
        JsonNode step = null;
        String stepColumn = null;
        String benchmark = null;
        String metric = null;
        JsonNode value = null;
        JsonNode stderr = null;
        JsonNode n = null;
        Boolean higher = null;
        ObjectNode extras = Json.MAPPER.createObjectNode();
        Iterator<Map.Entry<String, JsonNode>> it = row.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode v = field.getValue();
            if (v == null || v.isNull()) {
                continue;
            }
            String name = canonical(field.getKey());
            switch (name) {
                case "step" -> {
                    if (step == null) {
                        step = v;
                        stepColumn = field.getKey();
                    }
                }
                case "benchmark" -> benchmark = v.isValueNode() && !v.asText().isBlank() ? v.asText() : benchmark;
                case "metric" -> metric = v.isValueNode() && !v.asText().isBlank() ? v.asText() : metric;
                case "value" -> value = v;
                case "stderr" -> stderr = v;
                case "n" -> n = v;
                case "higher_is_better" -> higher = v.isBoolean() ? Boolean.valueOf(v.asBoolean())
                        : v.isTextual() && v.asText().equalsIgnoreCase("true") ? Boolean.TRUE
                        : v.isTextual() && v.asText().equalsIgnoreCase("false") ? Boolean.FALSE : null;
                default -> {
                    if (PASSED_THROUGH.contains(name)) {
                        extras.set(name, passThrough(name, v));
                    }
                }
            }
        }
        return new Columns(step, stepColumn, benchmark, metric, value, stderr, n, higher, extras);
    }

    /** Numbers in a CSV cell are strings; tokens and a numeric time go out as numbers, the rest as written. */
    private static JsonNode passThrough(String name, JsonNode v) {
        if ((name.equals("tokens") || name.equals("time")) && v.isTextual()) {
            Double number = number(v);
            if (number != null && Double.isFinite(number)) {
                return Json.MAPPER.getNodeFactory().numberNode(number.longValue());
            }
        }
        return v;
    }

    /** A number, or the spellings of one a table cell has ({@code 0.5}, {@code nan}, {@code inf}); else null. */
    static Double number(JsonNode v) {
        if (v == null || v.isBoolean()) {
            return null;
        }
        return InputParser.numberOrNull(v); // the contract's own reading of numbers and NaN/inf spellings
    }
}
