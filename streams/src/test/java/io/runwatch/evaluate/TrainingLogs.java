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
                Double loss = node.has("loss") || node.path("lm_loss_field_absent").asBoolean(false)
                        ? Double.valueOf(number(node, "loss")) : null;
                Double skipped = node.has("skipped_steps") ? Double.valueOf(number(node, "skipped_steps"))
                        : node.has("skipped") ? Double.valueOf(number(node, "skipped")) : null;
                MetricPoint point = new MetricPoint(run, step, EPOCH_MS + step * 1000, loss, null, null, null, null,
                        null, null, null, null, null, null)
                        .withGradNorm(node.has("grad_norm") ? number(node, "grad_norm") : null)
                        .withLr(node.has("lr") ? number(node, "lr") : null)
                        .withLossScale(node.has("loss_scale") ? number(node, "loss_scale") : null)
                        .withSkippedSteps(skipped);
                runs.computeIfAbsent(run, r -> new ArrayList<>()).add(RunInput.of(point));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return runs;
    }

    /**
     * A missing value reads as NaN. A missing loss is NaN only where the conversion says Megatron dropped the field
     * ({@code lm_loss_field_absent}: a NaN loss); otherwise no loss was logged, as when fp16 skipped the interval.
     */
    private static double number(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? Double.NaN : value.asDouble();
    }
}
