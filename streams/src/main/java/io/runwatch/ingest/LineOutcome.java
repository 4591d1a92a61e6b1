package io.runwatch.ingest;

import java.util.List;

/**
 * What a parser made of one line: the records it completed (possibly none, possibly records held back from
 * earlier lines, such as a multi-line block closed by this line) and whether it understood the line at all.
 */
public record LineOutcome(List<ContractRecord> records, Status status) {

    public enum Status {
        /** The line is part of the format: it gave or will give a record, or is a known duplicate/notice. */
        UNDERSTOOD,
        /** The parser cannot read the line: counted per file and reported, fatal under --strict. */
        UNPARSED
    }

    public LineOutcome {
        records = List.copyOf(records);
    }

    public static LineOutcome understood(List<ContractRecord> records) {
        return new LineOutcome(records, Status.UNDERSTOOD);
    }

    public static LineOutcome unparsed() {
        return new LineOutcome(List.of(), Status.UNPARSED);
    }
}
