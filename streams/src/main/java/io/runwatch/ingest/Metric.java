package io.runwatch.ingest;

import io.runwatch.contract.InputParser;
import java.util.Arrays;

/** One metrics record being assembled from a line: contract fields first, extras after, absent values left out. */
final class Metric {
    final long step;
    /** Field names and values in insertion order; a record has a dozen fields at most, so a scan beats hashing. */
    private String[] names = new String[12];
    private Double[] values = new Double[12];
    private int size;
    private String textName;
    private String textValue;
    String time;

    Metric(long step) {
        this.step = step;
    }

    /** Sets {@code name} unless {@code value} is null (a placeholder or an unreadable number). */
    Metric put(String name, Double value) {
        if (value == null) {
            return this;
        }
        int i = indexOf(name);
        if (i >= 0) {
            values[i] = value;
            return this;
        }
        if (size == names.length) {
            names = Arrays.copyOf(names, size * 2);
            values = Arrays.copyOf(values, size * 2);
        }
        names[size] = name;
        values[size++] = value;
        return this;
    }

    Metric putIfAbsent(String name, Double value) {
        return indexOf(name) >= 0 ? this : put(name, value);
    }

    /** One text field (HF's {@code step_source}). */
    Metric text(String name, String value) {
        textName = name;
        textValue = value;
        return this;
    }

    Double get(String name) {
        int i = indexOf(name);
        return i < 0 ? null : values[i];
    }

    boolean has(String name) {
        return indexOf(name) >= 0;
    }

    boolean isEmpty() {
        return size == 0;
    }

    private int indexOf(String name) {
        for (int i = 0; i < size; i++) {
            if (names[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }

    ContractRecord toRecord(String run) {
        // Streamed through Jackson's generator (no tree): this is the per-record hot path of a backfill.
        return new ContractRecord(InputParser.Kind.METRICS, run, step, Records.writeObject(g -> {
            g.writeStringField("run", run);
            g.writeNumberField("step", step);
            if (time != null) {
                g.writeStringField("time", time);
            }
            for (int i = 0; i < size; i++) {
                g.writeNumberField(names[i], values[i]);
            }
            if (textName != null) {
                g.writeStringField(textName, textValue);
            }
        }));
    }
}
