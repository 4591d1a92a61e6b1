package io.runwatch.evaluate;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.contract.Json;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunInput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the converted real training logs ({@code ../shared/data/trainlogs/*.jsonl}: run, step, loss, optional
 * grad_norm, lr) into metric inputs per run, in file order. The logs carry no wall-clock time, so a record's
 * time is one second per step from a fixed epoch.
 */
final class TrainingLogs {
    static final long EPOCH_MS = 1_700_000_000_000L;

    private TrainingLogs() {
    }

    /** Run name → its inputs, in the order of the file. */
    static Map<String, List<RunInput>> read(Path jsonl) {
        Map<String, List<RunInput>> runs = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(jsonl)) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                JsonNode node = Json.MAPPER.readTree(line);
                if (!node.has("run") || !node.has("step")) {
                    continue;
                }
                String run = node.get("run").asText();
                long step = node.get("step").asLong();
                MetricPoint point = MetricPoint.ofLoss(run, step, EPOCH_MS + step * 1000, number(node, "loss"))
                        .withGradNorm(node.has("grad_norm") ? number(node, "grad_norm") : null)
                        .withLr(node.has("lr") ? number(node, "lr") : null);
                runs.computeIfAbsent(run, r -> new ArrayList<>()).add(RunInput.of(point));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return runs;
    }

    /** A missing loss (Megatron drops the field when it is NaN) reads as NaN. */
    private static double number(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? Double.NaN : value.asDouble();
    }
}
