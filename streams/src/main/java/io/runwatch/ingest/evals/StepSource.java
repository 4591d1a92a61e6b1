package io.runwatch.ingest.evals;

/** Where a result file's checkpoint step came from, in the order they are tried. */
public enum StepSource {
    /** A step field in the file itself (a top-level {@code step}, or a CSV/JSON-lines column). */
    FIELD("field"),
    /**
     * The model arguments the harness recorded: {@code revision=stepN}, {@code .../checkpoint-N}, a NeoX config's
     * {@code iteration}.
     */
    MODEL_ARGS("model_args"),
    /** The file or directory name: {@code stepN}, {@code step_N}, {@code checkpoint-N}, {@code global_stepN}, ... */
    PATH("path"),
    /** {@code --step}: nothing in the file or its path says. */
    FALLBACK("--step"),
    /** No step anywhere: the file cannot be imported. */
    NONE("none");

    private final String label;

    StepSource(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
