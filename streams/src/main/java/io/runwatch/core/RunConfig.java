package io.runwatch.core;

import java.util.Map;

/** The `config` object of a run event; every field optional. */
public record RunConfig(
        Double numParams,
        Double adamEps,
        Double lrMax,
        Long totalSteps,
        Long warmupSteps,
        Long resumedFromStep,
        Map<String, Object> extras) {

    public static final RunConfig EMPTY = new RunConfig(null, null, null, null, null, null, Map.of());

    public RunConfig {
        extras = extras == null ? Map.of() : Map.copyOf(extras);
    }

    public static RunConfig resumedFrom(long step) {
        return new RunConfig(null, null, null, null, null, step, Map.of());
    }
}
