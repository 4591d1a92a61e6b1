package io.runwatch.core;

import java.util.Map;

/**
 * The `config` object of a run event; every field optional.
 *
 * @param precision the training precision: {@code fp16}, {@code bf16}, {@code fp32} or {@code fp8}; null when not
 *                  declared. fp16 runs use a dynamic loss scaler that skips steps by design.
 */
public record RunConfig(
        Double numParams,
        Double adamEps,
        Double lrMax,
        Long totalSteps,
        Long warmupSteps,
        Long resumedFromStep,
        Map<String, Object> extras,
        String precision) {

    /** The precisions the contract knows; anything else is refused at the input. */
    public static final java.util.List<String> PRECISIONS = java.util.List.of("fp16", "bf16", "fp32", "fp8");

    public static final RunConfig EMPTY = new RunConfig(null, null, null, null, null, null, Map.of(), null);

    public RunConfig {
        extras = extras == null ? Map.of() : Map.copyOf(extras);
    }

    /** Without a declared precision, the shape the config had before it was added. */
    public RunConfig(Double numParams, Double adamEps, Double lrMax, Long totalSteps, Long warmupSteps,
                     Long resumedFromStep, Map<String, Object> extras) {
        this(numParams, adamEps, lrMax, totalSteps, warmupSteps, resumedFromStep, extras, null);
    }

    public static RunConfig resumedFrom(long step) {
        return new RunConfig(null, null, null, null, null, step, Map.of(), null);
    }

    public static RunConfig ofPrecision(String precision) {
        return new RunConfig(null, null, null, null, null, null, Map.of(), precision);
    }
}
