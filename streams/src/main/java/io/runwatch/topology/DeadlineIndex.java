package io.runwatch.topology;

import io.runwatch.core.liveness.LivenessSnapshot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The runs of one task ordered by the time at which the training tick next has something to do for each (a
 * silence deadline, a restart storm's quiet period, the expiry of its series or state), so that a tick reads the
 * state of the runs that are due and no other: O(due runs · log n) instead of O(n) store reads and decodes.
 *
 * <p>In memory, per task, rebuilt from the stores when the task starts ({@link TrainingProcessor}): a due time is
 * derived from committed state, which the stores hold, so there is nothing to keep exactly-once beyond them, and
 * no second write per record. A wrong due time can only delay work, never make it wrong: a due run is judged on
 * its state as read from the store, and re-scheduled from that state.
 *
 * <p>Each entry also carries the run's {@link LivenessSnapshot}, so that the time-dependent gauges (silence,
 * goodput) of every exported run are refreshed each tick from memory, without a store read.
 */
final class DeadlineIndex {
    /** Due at once: the run's state has not been read since the task started. */
    static final long UNKNOWN = Long.MIN_VALUE;

    static final class Entry {
        final String run;
        private long dueMs = Long.MAX_VALUE;
        /** The run's liveness gauges as a function of time, since its newest change; null until its state was read. */
        LivenessSnapshot liveness;
        /** Its training series are exported (they have not expired). */
        boolean exported;

        private Entry(String run) {
            this.run = run;
        }

        long dueMs() {
            return dueMs;
        }
    }

    private static final Comparator<Entry> BY_DUE = Comparator.comparingLong((Entry e) -> e.dueMs)
            .thenComparing(e -> e.run);

    private final TreeSet<Entry> byDue = new TreeSet<>(BY_DUE);
    private final Map<String, Entry> byRun = new HashMap<>();

    /** The run's entry, created (due never) when new. */
    Entry entry(String run) {
        Entry entry = byRun.get(run);
        if (entry == null) {
            entry = new Entry(run);
            byRun.put(run, entry);
            byDue.add(entry);
        }
        return entry;
    }

    /** Moves the run to its new due time: O(log n), nothing when it did not change. */
    void schedule(Entry entry, long dueMs) {
        if (entry.dueMs == dueMs) {
            return;
        }
        byDue.remove(entry);
        entry.dueMs = dueMs;
        byDue.add(entry);
    }

    /** Up to {@code max} runs due at {@code nowMs}, earliest first. They stay indexed until re-scheduled. */
    List<String> due(long nowMs, int max) {
        List<String> due = new ArrayList<>();
        for (Entry entry : byDue) {
            if (entry.dueMs > nowMs || due.size() >= max) {
                break;
            }
            due.add(entry.run);
        }
        return due;
    }

    boolean anyDue(long nowMs) {
        return !byDue.isEmpty() && byDue.first().dueMs <= nowMs;
    }

    void remove(String run) {
        Entry entry = byRun.remove(run);
        if (entry != null) {
            byDue.remove(entry);
        }
    }

    Entry get(String run) {
        return byRun.get(run);
    }

    Collection<Entry> entries() {
        return byRun.values();
    }

    int size() {
        return byRun.size();
    }

    void clear() {
        byRun.clear();
        byDue.clear();
    }
}
