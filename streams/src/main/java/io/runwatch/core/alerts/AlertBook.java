package io.runwatch.core.alerts;

import java.util.ArrayDeque;
import java.util.HashMap;

/**
 * The alert lifecycle's memory for one run: which episodes are open, which were recently closed or
 * suppressed (so a replay does not fire them again), and at which step each (type, subject) last resolved
 * (cooldown). {@link AlertLifecycle} decides; this is only the state, stored as JSON by the topology.
 * Bounded: the closed-id memory keeps the newest {@link #MEMORY} ids, the resolved episodes (for the query
 * endpoints) the newest {@link #RECENT}.
 */
public final class AlertBook {
    static final int MEMORY = 128;
    /** Resolved episodes kept for {@code GET /runs/{id}} and {@code /alerts}: enough to see a flap, a few KB at most. */
    public static final int RECENT = 8;
    /**
     * Loss-spike and divergence episodes kept for eval_co_drop, which traces benchmarks falling together to the spike
     * between two checkpoints: evaluations arrive hours after training, so more than the recent few, yet bounded.
     */
    public static final int TRAINING_EPISODES = 16;

    /** Open episodes by id. */
    public HashMap<String, OpenEpisode> open = new HashMap<>();
    /** Ids already closed or suppressed, oldest first. */
    public ArrayDeque<String> closed = new ArrayDeque<>();
    /** Record time of the newest alert of the run: a book with nothing open is dropped after the state retention. */
    public long lastAlertMs;
    /** "type|subject" → step at which it last resolved, for the cooldown. */
    public HashMap<String, Long> lastResolvedStep = new HashMap<>();
    /** The newest resolved episodes, oldest first (at most {@link #RECENT}). */
    public ArrayDeque<ResolvedEpisode> recentlyResolved = new ArrayDeque<>();
    /** The newest admitted loss-spike and divergence tickets and pages, oldest first (at most {@link #TRAINING_EPISODES}). */
    public ArrayDeque<TrainingEpisodeNote> trainingEpisodes = new ArrayDeque<>();

    public static final class OpenEpisode {
        public String type;
        public String severity;
        public Long rollbackToStep;
        public long firedAtMs;
        /** Onset step; null in books written before it was kept. */
        public Long step;
        /** The alert's benchmark and group labels (null when it has none, or in books written before they were kept). */
        public String benchmark;
        public String group;
    }

    /** A training-health episode as the on-call saw it: id, type, onset step and the step that resolved it. */
    public static final class TrainingEpisodeNote {
        public String id;
        public String type;
        public long onsetStep;
        /** Null while open. */
        public Long endStep;
    }

    public static final class ResolvedEpisode {
        public String id;
        public String type;
        public String severity;
        public Long rollbackToStep;
        public long firedAtMs;
        public Long step;
        public long resolvedAtMs;
    }

    void resolved(String id, OpenEpisode episode, long resolvedAtMs) {
        ResolvedEpisode closed = new ResolvedEpisode();
        closed.id = id;
        closed.type = episode.type;
        closed.severity = episode.severity;
        closed.rollbackToStep = episode.rollbackToStep;
        closed.firedAtMs = episode.firedAtMs;
        closed.step = episode.step;
        closed.resolvedAtMs = resolvedAtMs;
        recentlyResolved.addLast(closed);
        while (recentlyResolved.size() > RECENT) {
            recentlyResolved.removeFirst();
        }
    }

    void remember(String id) {
        closed.remove(id);
        closed.addLast(id);
        while (closed.size() > MEMORY) {
            closed.removeFirst();
        }
    }

    /** Open episodes of one type and severity: the value of its {@code runwatch_alert_active} gauge. */
    public int openCount(String type, String severity) {
        int n = 0;
        for (OpenEpisode e : open.values()) {
            if (e.type.equals(type) && e.severity.equals(severity)) {
                n++;
            }
        }
        return n;
    }

    /** Open episodes of one type, severity and subject labels: the value of its {@code runwatch_alert_benchmark_active} gauge. */
    public int openCount(String type, String severity, String benchmark, String group) {
        int n = 0;
        for (OpenEpisode e : open.values()) {
            if (e.type.equals(type) && e.severity.equals(severity) && java.util.Objects.equals(e.benchmark, benchmark)
                    && java.util.Objects.equals(e.group, group)) {
                n++;
            }
        }
        return n;
    }

    void trainingEpisodeOpened(String id, String type, long onsetStep) {
        TrainingEpisodeNote note = new TrainingEpisodeNote();
        note.id = id;
        note.type = type;
        note.onsetStep = onsetStep;
        trainingEpisodes.addLast(note);
        while (trainingEpisodes.size() > TRAINING_EPISODES) {
            trainingEpisodes.removeFirst();
        }
    }

    void trainingEpisodeEnded(String id, long endStep) {
        for (TrainingEpisodeNote note : trainingEpisodes) {
            if (note.id.equals(id)) {
                note.endStep = endStep;
            }
        }
    }

    /** Rollback target of the newest open episode of a type, or null. */
    public Long newestRollback(String type) {
        OpenEpisode newest = null;
        for (OpenEpisode e : open.values()) {
            if (e.type.equals(type) && e.rollbackToStep != null
                    && (newest == null || e.firedAtMs >= newest.firedAtMs)) {
                newest = e;
            }
        }
        return newest == null ? null : newest.rollbackToStep;
    }
}
