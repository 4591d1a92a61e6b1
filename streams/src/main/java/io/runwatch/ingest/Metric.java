package io.runwatch.ingest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runwatch.contract.InputParser;
import io.runwatch.contract.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/** One metrics record being assembled from a line: contract fields first, extras after, absent values left out. */
final class Metric {
    final long step;
    private final Map<String, Double> numbers = new LinkedHashMap<>();
    private final Map<String, String> texts = new LinkedHashMap<>(1);
    String time;

    Metric(long step) {
        this.step = step;
    }

    /** Sets {@code name} unless {@code value} is null (a placeholder or an unreadable number). */
    Metric put(String name, Double value) {
        if (value != null) {
            numbers.put(name, value);
        }
        return this;
    }

    Metric putIfAbsent(String name, Double value) {
        if (value != null) {
            numbers.putIfAbsent(name, value);
        }
        return this;
    }

    Metric text(String name, String value) {
        texts.put(name, value);
        return this;
    }

    Double get(String name) {
        return numbers.get(name);
    }

    boolean has(String name) {
        return numbers.containsKey(name);
    }

    Double remove(String name) {
        return numbers.remove(name);
    }

    boolean isEmpty() {
        return numbers.isEmpty();
    }

    ContractRecord toRecord(String run) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("run", run);
        node.put("step", step);
        if (time != null) {
            node.put("time", time);
        }
        numbers.forEach(node::put);
        texts.forEach(node::put);
        return new ContractRecord(InputParser.Kind.METRICS, run, step, Records.write(node));
    }
}
