package io.runwatch.core;

/**
 * Every kind of alert runwatch raises. The lower-case name is the wire format, the `type` label of the
 * metrics and the anchor of the alert's section in {@code alerts/runbook.md}.
 */
public enum AlertType {
    nonfinite,
    loss_spike,
    divergence,
    grad_norm_spike,
    adam_precursor,
    run_rewound,
    skipped_steps,
    not_training,
    loss_blowup,
    eval_regression,
    eval_noisy,
    eval_co_drop,
    stall,
    throughput_drop,
    restart_storm;

    /** Anchor of this alert's runbook section (GitHub turns "## loss_spike" into "#loss_spike"). */
    public String runbookAnchor() {
        return name();
    }
}
