package io.runwatch.ingest.evals;

/** The result-file formats {@code import-evals} reads, told apart by their content (not their names). */
public enum EvalFormat {
    /** lm-evaluation-harness ≤ 0.3: {@code results[task][metric]} with {@code metric_stderr} twins. */
    LM_EVAL_V03("lm-eval v0.3"),
    /** lm-evaluation-harness ≥ 0.4: {@code "acc,none"} keys, {@code "N/A"} stderr, n-samples, groups. */
    LM_EVAL_V04("lm-eval v0.4"),
    /** The BigScience fork (also GPT-NeoX's evaluate.py): {@code results} is a list of task/prompt entries. */
    BIGSCIENCE("bigscience"),
    /** A table with step, benchmark, metric and value columns (comma or tab separated, with a header). */
    CSV("csv"),
    /** One JSON object per line (or one object, or an array of them) with step, benchmark, metric, value. */
    JSON_LINES("jsonl"),
    /** Not an evaluation result (a config, a per-sample log, a trainer state): skipped and reported. */
    NOT_RESULTS("not results"),
    /** A result file that could not be read (malformed, cut short while being written). */
    UNREADABLE("unreadable");

    private final String label;

    EvalFormat(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
