package io.runwatch.core;

/** Per-parameter-group statistics of one step; any field may be null (not logged). */
public record GroupStats(Double gradNorm, Double updateRmsOverLr, Double paramNorm) {
}
