package io.runwatch.contract;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertState;
import io.runwatch.core.AlertType;
import io.runwatch.core.Severity;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** The wire format of {@code runwatch.alerts} (snake_case, nulls omitted), both ways. */
public final class AlertJson {
    private AlertJson() {
    }

    public static String write(Alert a) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", a.id());
        o.put("run", a.run());
        o.put("type", a.type().name());
        o.put("severity", a.severity().name());
        o.put("state", a.state().name());
        o.put("step", a.step());
        o.put("detected_at_step", a.detectedAtStep());
        o.put("time", a.timeMs());
        o.put("time_iso", Instant.ofEpochMilli(a.timeMs()).toString());
        putIfPresent(o, "benchmark", a.benchmark());
        putIfPresent(o, "metric", a.metric());
        putIfPresent(o, "group", a.group());
        if (a.value() != null) {
            o.put("value", a.value());
        }
        if (a.threshold() != null) {
            o.put("threshold", a.threshold());
        }
        if (a.rollbackToStep() != null) {
            o.put("rollback_to_step", a.rollbackToStep());
        }
        putIfPresent(o, "summary", a.summary());
        putIfPresent(o, "runbook", a.runbook());
        putIfPresent(o, "related_id", a.relatedId());
        if (!a.details().isEmpty()) {
            o.set("details", Json.MAPPER.valueToTree(new java.util.TreeMap<>(a.details()))); // stable order
        }
        try {
            return Json.MAPPER.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Alert read(String json) {
        try {
            JsonNode o = Json.MAPPER.readTree(json);
            Map<String, Object> details = o.has("details")
                    ? Json.MAPPER.convertValue(o.get("details"), Json.MAPPER.getTypeFactory()
                    .constructMapType(LinkedHashMap.class, String.class, Object.class))
                    : Map.of();
            return new Alert(o.get("id").asText(), o.get("run").asText(), AlertType.valueOf(o.get("type").asText()),
                    Severity.valueOf(o.get("severity").asText()), AlertState.valueOf(o.get("state").asText()),
                    o.get("step").asLong(), o.get("detected_at_step").asLong(), o.get("time").asLong(),
                    text(o, "benchmark"), text(o, "metric"), text(o, "group"), number(o, "value"),
                    number(o, "threshold"), o.hasNonNull("rollback_to_step") ? o.get("rollback_to_step").asLong()
                    : null, text(o, "summary"), text(o, "runbook"), text(o, "related_id"), details);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void putIfPresent(ObjectNode o, String name, String value) {
        if (value != null) {
            o.put(name, value);
        }
    }

    private static String text(JsonNode o, String name) {
        return o.hasNonNull(name) ? o.get(name).asText() : null;
    }

    private static Double number(JsonNode o, String name) {
        if (!o.hasNonNull(name)) {
            return null;
        }
        JsonNode v = o.get(name);
        return v.isNumber() ? v.doubleValue() : InputParser.numberOrNull(v);
    }
}
