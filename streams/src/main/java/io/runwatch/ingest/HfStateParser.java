package io.runwatch.ingest;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code trainer_state.json} fed line by line (for {@code auto} and for a tailer that treats every file alike): the
 * lines of one JSON document are collected and read by {@link HfTrainerState} when its closing brace arrives (the
 * Trainer writes it with {@code indent=2}: the last line is a lone {@code }}), or on {@link #flush()}. When the file
 * is rewritten and fed again, only steps after the newest one sent come out.
 */
final class HfStateParser implements TrainerLogParser {
    /** A state file beyond this is not one: the buffer is dropped rather than grown. */
    static final int MAX_DOCUMENT_CHARS = 64 << 20;

    private final String run;
    private final StringBuilder document = new StringBuilder();
    private long sentStep = -1;

    HfStateParser(String run) {
        this.run = run;
    }

    @Override
    public String format() {
        return "hf-state";
    }

    @Override
    public LineOutcome accept(String line) {
        if (line == null) {
            return LineOutcome.unparsed();
        }
        String text = LineSplitter.clean(line);
        char first = firstNonSpace(text);
        if (document.length() == 0 && first != '{') {
            return LineOutcome.unparsed();
        }
        if (document.length() + text.length() > MAX_DOCUMENT_CHARS) {
            document.setLength(0);
            return LineOutcome.unparsed();
        }
        document.append(text).append('\n');
        if (text.equals("}") || first == '{' && lastNonSpace(text) == '}') {
            HfTrainerState.Read read = HfTrainerState.read(document.toString(), run, sentStep);
            if (read.ok()) {
                document.setLength(0);
                return LineOutcome.understood(sent(read));
            }
        }
        return LineOutcome.understood(List.of());
    }

    @Override
    public List<ContractRecord> flush() {
        if (document.length() == 0) {
            return List.of();
        }
        HfTrainerState.Read read = HfTrainerState.read(document.toString(), run, sentStep);
        if (!read.ok()) {
            return List.of(); // not complete yet: the rest of the rewrite is still to come
        }
        document.setLength(0);
        return sent(read);
    }

    private List<ContractRecord> sent(HfTrainerState.Read read) {
        List<ContractRecord> records = new ArrayList<>(read.records());
        sentStep = Math.max(sentStep, read.newestStep());
        return records;
    }

    private static char firstNonSpace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (!Character.isWhitespace(s.charAt(i))) {
                return s.charAt(i);
            }
        }
        return 0;
    }

    private static char lastNonSpace(String s) {
        for (int i = s.length() - 1; i >= 0; i--) {
            if (!Character.isWhitespace(s.charAt(i))) {
                return s.charAt(i);
            }
        }
        return 0;
    }
}
