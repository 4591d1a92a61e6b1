package io.runwatch.ingest;

import java.time.ZoneId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * {@code --format auto}: the first line that clearly belongs to one format ({@link TrainerLogFormats#detect})
 * decides, and the lines before it are fed to that format's parser then, so nothing they held is lost (an OLMo
 * block's metrics, a validation printed first). Until the decision a line's outcome is {@code UNPARSED} (no format
 * has claimed it yet; banners and argument dumps are unparsed by every format anyway). At most
 * {@link #MAX_BUFFERED_LINES} lines wait; older ones are dropped. After the decision this is that format's parser.
 */
final class AutoParser implements TrainerLogParser {
    static final int MAX_BUFFERED_LINES = 20_000;

    private final String run;
    private final ZoneId zone;
    private final Deque<String> buffered = new ArrayDeque<>();
    private TrainerLogParser chosen;

    AutoParser(String run, ZoneId zone) {
        this.run = run;
        this.zone = zone;
    }

    /** {@code auto} until a format is detected, then that format's name. */
    @Override
    public String format() {
        return chosen == null ? "auto" : chosen.format();
    }

    @Override
    public LineOutcome accept(String line) {
        if (chosen != null) {
            return chosen.accept(line);
        }
        if (line == null) {
            return LineOutcome.unparsed();
        }
        String format;
        try {
            format = TrainerLogFormats.detect(RankPrefix.split(LineSplitter.clean(line)).rest());
        } catch (RuntimeException e) {
            format = null;
        }
        if (format == null) {
            if (buffered.size() == MAX_BUFFERED_LINES) {
                buffered.removeFirst();
            }
            buffered.addLast(line);
            return LineOutcome.unparsed();
        }
        chosen = TrainerLogFormats.create(format, run, null, zone);
        List<ContractRecord> records = new ArrayList<>();
        for (String earlier : buffered) {
            records.addAll(chosen.accept(earlier).records());
        }
        buffered.clear();
        LineOutcome outcome = chosen.accept(line);
        records.addAll(outcome.records());
        return new LineOutcome(records, outcome.status());
    }

    @Override
    public List<ContractRecord> flush() {
        return chosen == null ? List.of() : chosen.flush();
    }
}
