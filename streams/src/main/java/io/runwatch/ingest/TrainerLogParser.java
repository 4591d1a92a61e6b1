package io.runwatch.ingest;

import java.util.List;

/**
 * Reads one trainer's log, line by line, into contract records. Pure: no I/O, no threads, no clock; one instance
 * per followed file (it may keep a little state: a rank-duplicate filter, an ordinal step counter, an open
 * multi-line block). Lines arrive complete, already split on {@code \n} and {@code \r}, without terminators.
 */
public interface TrainerLogParser {

    /** The {@code --format} name this parser answers to. */
    String format();

    /** One complete line of the log. Never throws on any input. */
    LineOutcome accept(String line);

    /**
     * Records held back waiting for more lines (e.g. an open OLMo metric block), emitted as if the input ended
     * here. Called at the end of a {@code --no-follow} read and when a followed file has been idle a while.
     */
    List<ContractRecord> flush();
}
