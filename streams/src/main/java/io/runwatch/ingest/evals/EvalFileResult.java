package io.runwatch.ingest.evals;

import io.runwatch.ingest.ContractRecord;
import java.util.List;

/**
 * What one result file gave.
 *
 * @param path           the path as the importer names it (relative to the imported directory's parent)
 * @param step           the checkpoint step of the file and where it came from; for a table with a step column,
 *                       its first step (source FIELD)
 * @param records        the contract records, each already accepted by {@code InputParser} for {@code EVALS}
 * @param nonFinite      metric values that were NaN or ±Infinity: the contract cannot carry them, so they are
 *                       counted here instead of sent
 * @param unparsedRows   rows of a table or JSON-lines file that were not an evaluation record
 * @param notes          what the user should know: conflicting steps, dropped values, refused rows (a few)
 */
public record EvalFileResult(String path, EvalFormat format, StepOrigin step, List<ContractRecord> records,
                             int nonFinite, int unparsedRows, List<String> notes) {

    public EvalFileResult {
        records = List.copyOf(records);
        notes = List.copyOf(notes);
    }

    /** True when the file is a result file whose scores were (or could be) imported. */
    public boolean imported() {
        return format != EvalFormat.NOT_RESULTS && format != EvalFormat.UNREADABLE && step.found();
    }

    /** True when the file looked like a result but could not be imported: the user must act. */
    public boolean failed() {
        return format == EvalFormat.UNREADABLE || (format != EvalFormat.NOT_RESULTS && !step.found());
    }
}
