package io.runwatch.ingest;

import io.runwatch.contract.InputParser;

/**
 * One record of the input contract made from a trainer's own output: the topic it belongs on, its key (the run id),
 * the step it describes (for offsets and dedupe; -1 for an event without a step) and its JSON text, one line.
 * Every {@code ContractRecord} a parser emits must pass {@link InputParser#parse} for its {@link #kind()}.
 */
public record ContractRecord(InputParser.Kind kind, String run, long step, String json) {
}
