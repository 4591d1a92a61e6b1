package io.runwatch.core;

/**
 * One score of one checkpoint on one benchmark metric.
 *
 * @param stderr         standard error as reported by the harness; null when unknown
 * @param n              number of items; null when unknown
 * @param seed           label of the training/eval seed; null for a single-seed run
 * @param capability     what the benchmark measures (knowledge, code, reasoning, ...); null when unknown
 * @param higherIsBetter false for losses, perplexities and bits-per-byte
 */
public record EvalPoint(
        String run,
        long step,
        String benchmark,
        String metric,
        double value,
        Double stderr,
        Integer n,
        String seed,
        String capability,
        Long tokens,
        long timeMs,
        boolean higherIsBetter) {

    /** Key of the trajectory this point belongs to within its run. */
    public String trajectoryKey() {
        return benchmark + ":" + metric;
    }
}
