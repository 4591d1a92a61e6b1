package io.runwatch.app;

import io.runwatch.contract.InputParser;
import io.runwatch.ingest.ContractRecord;
import io.runwatch.ingest.LineOutcome;
import io.runwatch.ingest.LineSplitter;
import io.runwatch.ingest.TrainerLogParser;
import io.runwatch.ingest.follow.FilePosition;
import io.runwatch.ingest.follow.LogFollower;
import io.runwatch.ingest.follow.OffsetFile;
import io.runwatch.ingest.follow.TailState;
import io.runwatch.metrics.TailMetrics;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongSupplier;

/**
 * The engine of {@code runwatch tail}: follows trainer logs (or {@code hf-state} output directories), turns their
 * lines into contract records with the format's parser, and commits them to a {@link Sink} (Kafka, or JSON-lines
 * files) together with where each source stands. Driven by {@link #pollOnce()}; no thread of its own.
 *
 * <p><b>Exactly once.</b> A line is sent once, even across a SIGKILL at any instant, because what was sent and where
 * the tailer stands are committed together:
 * <ol>
 *   <li>Each poll's records go to Kafka in <em>one transaction</em> of an idempotent, transactional producer
 *       (acks=all) whose {@code transactional.id} comes from the tailer's id, drawn once and kept in the offset
 *       file. The last record of the transaction carries, as a header, the whole {@link TailState} after it (file
 *       identity and offset of every source, a transaction number). Records are stamped at send time; the
 *       trainer's time stays in {@code time}.</li>
 *   <li>After the commit, the same state is written to the offset file (temp file + atomic rename). The offset file
 *       is written once before the first transaction, so a tailer that has no offset file has sent nothing.</li>
 *   <li>On start, {@code initTransactions()} fences a previous incarnation and aborts its open transaction. The
 *       state is then the newer (higher transaction number) of the offset file and the last state header this
 *       tailer committed, read with {@code read_committed} from the output partitions since the offset file's save
 *       time (a short window: the file is rewritten after every commit). Killed after a commit but before the
 *       offset file was written, the header has the newer state; killed before the commit, the transaction is
 *       aborted and the offset file is right.</li>
 *   <li>Parsers keep state (an ordinal step counter, a rank-duplicate filter, an open multi-line block), so a
 *       restart does not jump to the offset: it reads the file again from its beginning, feeds every line to a new
 *       parser, and sends only records of lines past the committed offset ({@link LogFollower.Line#alreadySent()}).
 *       A record held back by the parser at the commit and completed by a later line is sent with that line. When
 *       held-back records were flushed (the file went idle), the state says so, and the replay flushes at the same
 *       place and drops what that flush gives.</li>
 * </ol>
 * A poll that consumed lines but produced no record commits nothing to Kafka and only moves the offset file: losing
 * that write re-reads lines that give nothing. The {@code --print-dir} sink cannot be transactional: with an offset
 * file it is at-least-once (a kill between the file write and the offset write repeats that poll's records).
 */
final class Tailer implements AutoCloseable {
    /** Read at most this much per file per poll, so one poll's transaction stays bounded on a large backlog. */
    private static final long MAX_BYTES_PER_POLL = 8L << 20;

    /** Where committed records go. */
    interface Sink extends AutoCloseable {
        /** The newest committed state: {@code saved} (the offset file's) or a newer one the sink committed. */
        TailState recover(TailState saved) throws Exception;

        /** Sends {@code records} and commits them as one unit; {@code after} travels with them if the sink can. */
        void commit(List<Outgoing> records, TailState after) throws Exception;

        @Override
        void close();
    }

    /** A record to send, with the source position it came from (for the position header). */
    record Outgoing(ContractRecord record, String sourceId, long offset) {
        String topic() {
            return topicOf(record.kind());
        }
    }

    static String topicOf(InputParser.Kind kind) {
        return switch (kind) {
            case METRICS -> "runwatch.metrics";
            case EVENTS -> "runwatch.events";
            case EVALS -> "runwatch.evals";
        };
    }

    /** Makes the parser of a format for one run. */
    interface ParserFactory {
        TrainerLogParser create(String format, String run);
    }

    /** {@code trainer_state.json} text to the records of entries after a step. */
    interface HfStateReader {
        List<ContractRecord> records(String text, String run, long afterStep);
    }

    /** An unparsed line under {@code --strict}. */
    static final class StrictViolation extends RuntimeException {
        StrictViolation(String file, long lineNumber, String text) {
            super(file + ":" + lineNumber + ": unparsed line: " + abbreviate(text));
        }
    }

    /** One followed source: a log file, or an {@code hf-state} output directory. */
    record SourceSpec(Path path, String displayName, String run) {
    }

    record Options(String format, ParserFactory parsers, HfStateReader hfState, boolean strict, long idleFlushMs,
                   long reportEveryMs, PrintStream err) {
    }

    private final Options options;
    private final Sink sink;
    private final OffsetFile offsetFile;
    private final TailMetrics metrics;
    private final LongSupplier clock;
    private final List<Source> sources = new ArrayList<>();
    private TailState state;
    private long lastReportMs;

    Tailer(List<SourceSpec> specs, Options options, Sink sink, OffsetFile offsetFile, TailMetrics metrics,
           LongSupplier clock) throws Exception {
        this.options = options;
        this.sink = sink;
        this.offsetFile = offsetFile;
        this.metrics = metrics;
        this.clock = clock;
        TailState saved = offsetFile == null ? null : offsetFile.load().orElse(null);
        if (saved == null) {
            saved = TailState.fresh(UUID.randomUUID().toString()).committed(0, clock.getAsLong());
            if (offsetFile != null) {
                offsetFile.save(saved); // before anything is sent: no offset file means nothing was sent
            }
        }
        this.state = sink.recover(saved);
        if (state.transaction() > saved.transaction()) {
            options.err().printf("runwatch tail: recovered transaction %d from Kafka (offset file had %d)%n",
                    state.transaction(), saved.transaction());
        }
        this.lastReportMs = clock.getAsLong();
        for (SourceSpec spec : specs) {
            String id = spec.path().toAbsolutePath().normalize().toString();
            TailState.SourceState committed = state.source(id);
            sources.add(isStateFile(options.format(), spec.path())
                    ? new HfStateSource(spec, id, committed)
                    : new FileSource(spec, id, committed));
        }
    }

    /**
     * Whether a source is read as whole {@code trainer_state.json} files: always for {@code hf-state}; for
     * {@code auto}, a directory or a file of that name (it is rewritten in place, never appended to).
     */
    static boolean isStateFile(String format, Path path) {
        return "hf-state".equals(format) || "auto".equals(format) && (Files.isDirectory(path)
                || path.getFileName() != null && path.getFileName().toString().equals("trainer_state.json"));
    }

    String tailerId() {
        return state.tailerId();
    }

    TailState state() {
        return state;
    }

    /** Reads what is new in every source and commits it. Returns whether any source has more to read at once. */
    boolean pollOnce() throws Exception {
        long now = clock.getAsLong();
        List<Outgoing> out = new ArrayList<>();
        Map<String, TailState.SourceState> moved = new LinkedHashMap<>();
        boolean more = false;
        for (Source source : sources) {
            more |= source.poll(now, out, moved);
        }
        commit(out, moved, now);
        if (metrics != null) {
            metrics.polled(now);
            for (Source source : sources) {
                metrics.bytesBehind(source.spec.displayName(), source.bytesBehind());
            }
        }
        if (now - lastReportMs >= options.reportEveryMs()) {
            reportUnparsed(false);
            lastReportMs = now;
        }
        return more;
    }

    /** Reads every source to its current end (the {@code --no-follow} read, or the last read before an end). */
    void drain() throws Exception {
        while (pollOnce()) {
            // a backlog: keep reading
        }
    }

    /**
     * Drains, flushes every parser's held-back records and, with {@code endStatus}, sends an {@code end} event
     * for each run (the trainer exited, or a replay finished).
     */
    void finish(String endStatus) throws Exception {
        drain();
        long now = clock.getAsLong();
        List<Outgoing> out = new ArrayList<>();
        Map<String, TailState.SourceState> moved = new LinkedHashMap<>();
        for (Source source : sources) {
            source.flush(out, moved);
        }
        if (endStatus != null) {
            Map<String, Long> lastStep = new LinkedHashMap<>();
            for (Source source : sources) {
                lastStep.merge(source.spec.run(), source.lastStep, Math::max);
            }
            lastStep.forEach((run, step) -> out.add(new Outgoing(new ContractRecord(InputParser.Kind.EVENTS, run,
                    step, "{\"run\":" + quote(run) + ",\"type\":\"end\""
                    + (step >= 0 ? ",\"step\":" + step : "") + ",\"status\":" + quote(endStatus) + "}"), "", 0)));
        }
        commit(out, moved, now);
    }

    private void commit(List<Outgoing> out, Map<String, TailState.SourceState> moved, long now) throws Exception {
        if (out.isEmpty() && moved.isEmpty()) {
            return;
        }
        TailState next = state;
        for (Map.Entry<String, TailState.SourceState> entry : moved.entrySet()) {
            next = next.with(entry.getKey(), entry.getValue());
        }
        for (Outgoing o : out) {
            if (isStart(o.record())) {
                next = next.withStarted(o.record().run());
            }
        }
        if (!out.isEmpty()) {
            next = next.committed(state.transaction() + 1, now);
            sink.commit(out, next);
            if (metrics != null) {
                Map<String, Long> perTopic = new HashMap<>();
                out.forEach(o -> perTopic.merge(o.topic(), 1L, Long::sum));
                perTopic.forEach((topic, n) -> metrics.recordsSent(topic, n, now));
            }
        } else {
            next = next.committed(state.transaction(), now);
        }
        if (offsetFile != null) {
            offsetFile.save(next);
        }
        state = next;
    }

    private static boolean isStart(ContractRecord record) {
        return record.kind() == InputParser.Kind.EVENTS && record.step() < 0
                && record.json().contains("\"type\":\"start\"") && record.json().contains("\"tailed_by\"");
    }

    /** Prints, per file, the unparsed lines counted since the last report (all of them when {@code atExit}). */
    void reportUnparsed(boolean atExit) {
        for (Source source : sources) {
            long fresh = source.unparsed - source.unparsedReported;
            if (fresh > 0 || (atExit && source.linesRead > 0)) {
                options.err().printf("runwatch tail: %s: %d of %d lines unparsed%s%s%n", source.spec.displayName(),
                        source.unparsed, source.linesRead, fresh > 0 && !atExit ? " (" + fresh + " new)" : "",
                        source.lastUnparsed == null ? "" : "; latest, line " + source.lastUnparsedLine + ": "
                                + abbreviate(source.lastUnparsed));
                source.unparsedReported = source.unparsed;
            }
        }
    }

    /** Per-source counts for the exit summary. */
    List<String> summary() {
        List<String> lines = new ArrayList<>();
        for (Source source : sources) {
            lines.add(String.format("%s: run %s, %d lines read, %d parsed, %d unparsed, %d records", source
                    .spec.displayName(), source.spec.run(), source.linesRead, source.parsed, source.unparsed,
                    source.records));
        }
        return lines;
    }

    @Override
    public void close() {
        for (Source source : sources) {
            source.close();
        }
        sink.close();
    }

    static String abbreviate(String text) {
        String oneLine = text.strip();
        return oneLine.length() <= 160 ? oneLine : oneLine.substring(0, 157) + "...";
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private abstract class Source {
        final SourceSpec spec;
        final String id;
        long linesRead;
        long parsed;
        long unparsed;
        long unparsedReported;
        long records;
        long lastStep = -1;
        String lastUnparsed;
        long lastUnparsedLine;

        Source(SourceSpec spec, String id) {
            this.spec = spec;
            this.id = id;
        }

        /** Adds new records to {@code out} and this source's new position to {@code moved}; true if more waits. */
        abstract boolean poll(long now, List<Outgoing> out, Map<String, TailState.SourceState> moved)
                throws IOException;

        /** The parser's held-back records, as if the input ended here. */
        abstract void flush(List<Outgoing> out, Map<String, TailState.SourceState> moved) throws IOException;

        abstract long bytesBehind();

        abstract void close();

        void emit(List<Outgoing> out, List<ContractRecord> produced, long offset) {
            for (ContractRecord record : produced) {
                out.add(new Outgoing(record, id, offset));
                records++;
                if (record.kind() == InputParser.Kind.METRICS) {
                    lastStep = Math.max(lastStep, record.step());
                }
            }
        }

        void startIfNew(List<Outgoing> out) {
            if (!"jsonl".equals(options.format()) && !state.startedRuns().contains(spec.run())
                    && out.stream().noneMatch(o -> isStart(o.record()) && o.record().run().equals(spec.run()))) {
                out.add(new Outgoing(new ContractRecord(InputParser.Kind.EVENTS, spec.run(), -1,
                        "{\"run\":" + quote(spec.run()) + ",\"type\":\"start\",\"config\":{\"tailed_by\":"
                                + "\"runwatch tail\",\"format\":" + quote(options.format()) + "}}"), id, 0));
            }
        }
    }

    /** A log file followed line by line. */
    private final class FileSource extends Source {
        private final LogFollower follower;
        private final TailState.SourceState committed;
        private TrainerLogParser parser;
        private boolean replayFlushPending;
        private long lastLineMs;
        private boolean heldSinceLastLine;
        private FilePosition position;

        FileSource(SourceSpec spec, String id, TailState.SourceState committed) {
            super(spec, id);
            this.committed = committed;
            this.follower = new LogFollower(spec.path(), committed == null ? FilePosition.NONE
                    : committed.position());
            this.parser = options.parsers().create(options.format(), spec.run());
            this.replayFlushPending = committed != null && committed.flushed();
            this.position = committed == null ? FilePosition.NONE : committed.position();
        }

        @Override
        boolean poll(long now, List<Outgoing> out, Map<String, TailState.SourceState> moved) throws IOException {
            long budget = MAX_BYTES_PER_POLL;
            boolean any = false;
            do {
                long before = position.offset();
                for (LogFollower.Chunk chunk : follower.poll()) {
                    any = true;
                    startIfNew(out);
                    if (chunk.change() == LogFollower.Change.TRUNCATED) {
                        // The file was started again: a new job's log, whose counters start again too.
                        parser = options.parsers().create(options.format(), spec.run());
                    }
                    for (LogFollower.Line line : chunk.lines()) {
                        accept(line, out);
                    }
                    if (chunk.replaying()) {
                        if (replayFlushPending && chunk.end().offset() == committed.position().offset()) {
                            parser.flush(); // flushed here before the restart, and sent then
                            replayFlushPending = false;
                            heldSinceLastLine = false;
                        }
                        continue; // not past the committed position yet: nothing to move
                    }
                    position = chunk.end();
                    moved.put(id, new TailState.SourceState(position, false));
                }
                budget -= Math.max(0, position.offset() - before);
            } while (follower.hasMore() && budget > 0);
            follower.drainNotes().forEach(note -> options.err().println("runwatch tail: " + note));
            if (any) {
                lastLineMs = now;
            } else if (heldSinceLastLine && now - lastLineMs >= options.idleFlushMs()) {
                flush(out, moved);
            }
            return follower.hasMore();
        }

        private void accept(LogFollower.Line line, List<Outgoing> out) {
            if (!line.alreadySent() && replayFlushPending) {
                parser.flush(); // flushed before the restart, and sent then
                replayFlushPending = false;
            }
            String text = LineSplitter.clean(line.text());
            if (text.isBlank()) {
                return;
            }
            LineOutcome outcome = parser.accept(text);
            heldSinceLastLine = true;
            if (line.alreadySent()) {
                return; // replayed to rebuild the parser's state; its records went out before the restart
            }
            linesRead++;
            if (outcome.status() == LineOutcome.Status.UNPARSED) {
                unparsed++;
                lastUnparsed = text;
                lastUnparsedLine = line.lineNumber();
                if (metrics != null) {
                    metrics.linesUnparsed(spec.displayName(), 1);
                }
                if (options.strict()) {
                    throw new StrictViolation(spec.displayName(), line.lineNumber(), text);
                }
            } else {
                parsed++;
                if (metrics != null) {
                    metrics.linesParsed(spec.displayName(), 1);
                }
            }
            if (metrics != null) {
                metrics.linesRead(spec.displayName(), 1);
            }
            emit(out, outcome.records(), line.endOffset());
        }

        @Override
        void flush(List<Outgoing> out, Map<String, TailState.SourceState> moved) {
            heldSinceLastLine = false;
            List<ContractRecord> held = parser.flush();
            if (!held.isEmpty() && !position.isNone()) {
                emit(out, held, position.offset());
                moved.put(id, new TailState.SourceState(position, true));
            }
        }

        @Override
        long bytesBehind() {
            return follower.bytesBehind();
        }

        @Override
        void close() {
            follower.close();
        }
    }

    /**
     * An {@code hf-state} output directory (or one {@code trainer_state.json}): every {@code trainer_state.json}
     * in it or in its {@code checkpoint-*} directories that is new or rewritten is read whole, and only entries
     * after the newest step sent are sent.
     */
    private final class HfStateSource extends Source {
        private final Map<Path, String> seenVersion = new HashMap<>();
        private long afterStep;

        HfStateSource(SourceSpec spec, String id, TailState.SourceState committed) {
            super(spec, id);
            this.afterStep = committed == null ? -1 : committed.position().offset() - 1;
        }

        @Override
        boolean poll(long now, List<Outgoing> out, Map<String, TailState.SourceState> moved) throws IOException {
            List<Path> files = candidates();
            for (Path file : files) {
                BasicFileAttributes attrs;
                try {
                    attrs = Files.readAttributes(file, BasicFileAttributes.class);
                } catch (IOException e) {
                    continue;
                }
                String version = attrs.lastModifiedTime().toMillis() + "/" + attrs.size();
                if (version.equals(seenVersion.get(file))) {
                    continue;
                }
                String text;
                List<ContractRecord> produced;
                try {
                    text = Files.readString(file, StandardCharsets.UTF_8);
                    produced = options.hfState().records(text, spec.run(), afterStep);
                } catch (IOException | RuntimeException e) {
                    continue; // being rewritten: read it again when it changes
                }
                seenVersion.put(file, version);
                if (!produced.isEmpty() || !state.startedRuns().contains(spec.run())) {
                    startIfNew(out);
                }
                linesRead++;
                parsed++;
                long newest = afterStep;
                for (ContractRecord record : produced) {
                    newest = Math.max(newest, record.step());
                }
                emit(out, produced, newest);
                if (newest > afterStep) {
                    afterStep = newest;
                    // offset = newest step sent + 1, so that 0 means "nothing sent"
                    moved.put(id, new TailState.SourceState(new FilePosition(TailState.SourceState.HF_STATE,
                            afterStep + 1, 0), false));
                }
            }
            return false;
        }

        private List<Path> candidates() {
            Path root = spec.path();
            List<Path> files = new ArrayList<>();
            if (Files.isRegularFile(root)) {
                files.add(root);
                return files;
            }
            Path top = root.resolve("trainer_state.json");
            if (Files.isRegularFile(top)) {
                files.add(top);
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(root, "checkpoint-*")) {
                for (Path entry : entries) {
                    Path state = entry.resolve("trainer_state.json");
                    if (Files.isRegularFile(state)) {
                        files.add(state);
                    }
                }
            } catch (IOException e) {
                return files; // the directory does not exist yet
            }
            files.sort(Comparator.comparingLong(HfStateSource::modified));
            return files;
        }

        private static long modified(Path file) {
            try {
                return Files.getLastModifiedTime(file).toMillis();
            } catch (IOException e) {
                return 0;
            }
        }

        @Override
        void flush(List<Outgoing> out, Map<String, TailState.SourceState> moved) {
            // whole files: nothing is ever held back
        }

        @Override
        long bytesBehind() {
            return 0;
        }

        @Override
        void close() {
        }
    }
}
