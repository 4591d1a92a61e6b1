package io.runwatch.ingest.follow;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Everything a tailer must remember across a restart, small and bounded by the number of followed sources:
 * per source (a followed file's path, or an {@code hf-state} directory) where it stands, and the runs whose
 * {@code start} event was sent. {@code transaction} counts the batches committed, so that of two copies of the
 * state (the offset file, and the one carried by the last record of a committed transaction) the newer wins.
 * {@code tailerId} is drawn once, when the offset file is first written: it names the tailer (its Kafka
 * transactional id) wherever the offset file goes, and tells its records from other tailers' on shared topics.
 */
public record TailState(String tailerId, long transaction, long savedAtMs, Map<String, SourceState> sources,
                        Set<String> startedRuns) {

    /**
     * Where one source stands. For a file: the position of the last line whose records were sent, and whether
     * the parser's held-back records were flushed after it. For an {@code hf-state} directory: {@code fileKey}
     * {@value #HF_STATE}, {@code offset} = the newest step sent.
     */
    public record SourceState(FilePosition position, boolean flushed) {
        public static final String HF_STATE = "hf-state";
    }

    /** A tailer that has sent nothing yet. */
    public static TailState fresh(String tailerId) {
        return new TailState(tailerId, 0, 0, Map.of(), Set.of());
    }

    public TailState {
        sources = new TreeMap<>(sources);
        startedRuns = new TreeSet<>(startedRuns);
    }

    public SourceState source(String id) {
        return sources.get(id);
    }

    /** A copy with one source moved on. */
    public TailState with(String id, SourceState state) {
        Map<String, SourceState> next = new TreeMap<>(sources);
        next.put(id, state);
        return new TailState(tailerId, transaction, savedAtMs, next, startedRuns);
    }

    public TailState withStarted(String run) {
        Set<String> next = new TreeSet<>(startedRuns);
        next.add(run);
        return new TailState(tailerId, transaction, savedAtMs, sources, next);
    }

    /** The state as committed by transaction {@code number}, saved at {@code nowMs}. */
    public TailState committed(long number, long nowMs) {
        return new TailState(tailerId, number, nowMs, sources, startedRuns);
    }
}
