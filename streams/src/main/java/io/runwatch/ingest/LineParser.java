package io.runwatch.ingest;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/**
 * What every line-based format shares: launcher prefixes and ANSI codes removed, one record per step (rank copies
 * and bar redraws dropped, rewinds kept), validation results joined to their step, fp16 overflow lines counted into
 * the next record's {@code skipped_steps}, checkpoint events once per step, the line's timestamp as {@code time}.
 * A format implements {@link #parse}; nothing it throws escapes {@link #accept}.
 *
 * <p>Validation: a result printed <em>before</em> the training line of its step (nanoGPT, llm.c) is joined to that
 * record; one printed <em>after</em> it (Megatron, fairseq, HF, modded-nanogpt) is sent at once as a record of the
 * same step carrying only {@code val_loss} (the step is not delayed to wait for it). A result for a step that gets
 * no training record (modded-nanogpt's step 0) is not sent: {@code val_loss} rides on training steps.
 */
abstract class LineParser implements TrainerLogParser {
    /** Sentinel step of a validation result printed without a step: it belongs to the next training record. */
    static final long NEXT_STEP = -2;

    protected final String run;
    protected final ZoneId zone;
    private final StepFilter steps = new StepFilter();
    private String line;
    private Double pendingVal;
    private long pendingValStep = -1;
    private long lastValStep = -1;
    private int pendingSkips;
    private long lastCheckpoint = -1;
    private String primaryLabel;
    private boolean ended;
    private boolean admitted;

    LineParser(String run, ZoneId zone) {
        if (run == null || run.isBlank()) {
            throw new IllegalArgumentException("a parser needs a run id");
        }
        this.run = run;
        this.zone = zone;
    }

    @Override
    public final LineOutcome accept(String rawLine) {
        if (rawLine == null) {
            return LineOutcome.unparsed();
        }
        try {
            RankPrefix.Split split = RankPrefix.split(LineSplitter.clean(rawLine));
            line = split.rest();
            List<ContractRecord> out = new ArrayList<>(1);
            admitted = false;
            boolean understood = parse(split.rest(), split.label(), out);
            if (!admitted) {
                steps.otherLine();
            }
            return understood ? LineOutcome.understood(out) : LineOutcome.unparsed();
        } catch (RuntimeException e) {
            // A format quirk no rule foresaw must not stop the tailer: the line counts as unparsed, visibly.
            return LineOutcome.unparsed();
        }
    }

    @Override
    public List<ContractRecord> flush() {
        return List.of();
    }

    /** Reads one line (launcher prefix removed); adds what it completes to {@code out}; false if not this format. */
    protected abstract boolean parse(String line, String label, List<ContractRecord> out);

    /** Sends a training record unless it is a copy of one already sent. */
    protected final void step(Metric m, String label, List<ContractRecord> out) {
        if (!steps.admit(m.step, label)) {
            return;
        }
        admitted = true;
        if (primaryLabel == null) {
            primaryLabel = label;
        }
        if (pendingVal != null) {
            if (pendingValStep == m.step || pendingValStep == NEXT_STEP) {
                m.putIfAbsent("val_loss", pendingVal);
                lastValStep = m.step;
            }
            pendingVal = null;
        }
        if (pendingSkips > 0) {
            Double printed = m.get("skipped_steps");
            m.put("skipped_steps", (double) Math.max(pendingSkips, printed == null ? 0 : printed.intValue()));
            pendingSkips = 0;
        }
        if (m.time == null) {
            m.time = Timestamps.find(line, zone);
        }
        decorate(m);
        ended = false;
        out.add(m.toRecord(run));
    }

    /** Format-specific fields every record of this parser carries (HF's {@code step_source}). */
    protected void decorate(Metric m) {
    }

    /** A validation loss for {@code step} ({@link #NEXT_STEP} when the line gives none). */
    protected final void validation(long step, Double valLoss, List<ContractRecord> out) {
        if (valLoss == null) {
            return;
        }
        long newest = steps.newest();
        if (step >= 0 && newest >= 0 && step <= newest) {
            if (step == lastValStep) {
                return; // every rank printed it
            }
            Metric m = new Metric(step).put("val_loss", valLoss);
            m.time = Timestamps.find(line, zone);
            decorate(m);
            lastValStep = step;
            out.add(m.toRecord(run));
        } else {
            pendingVal = valLoss;
            pendingValStep = step;
        }
    }

    /** An fp16 loss-scaler overflow (a skipped optimizer step), counted into the next record's skipped_steps. */
    protected final void overflow(String label) {
        if (label == null || primaryLabel == null || label.equals(primaryLabel)) {
            pendingSkips++;
        }
    }

    protected final void checkpoint(long step, List<ContractRecord> out) {
        if (step >= 0 && step != lastCheckpoint) {
            lastCheckpoint = step;
            out.add(Records.checkpoint(run, step, Timestamps.find(line, zone)));
        }
    }

    /** The trainer's own last line. Once per run segment: a step after it (a relaunch) re-arms it. */
    protected final void end(String status, List<ContractRecord> out) {
        if (!ended) {
            ended = true;
            out.add(Records.end(run, steps.newest(), status, Timestamps.find(line, zone)));
        }
    }

    /** The newest step sent, or -1. */
    protected final long newestStep() {
        return steps.newest();
    }
}
