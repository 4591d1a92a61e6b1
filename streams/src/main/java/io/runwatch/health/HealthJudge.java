package io.runwatch.health;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Decides runwatch's liveness and readiness from what the application observes, with time passed in: the
 * application feeds it the Streams state, broker probes, thread replacements, partition positions and the
 * punctuator's heartbeat, and asks for a {@link HealthReport}. Thread-safe (the HTTP thread reads while the
 * probe thread writes); every method is O(assigned partitions) at most.
 *
 * <p>Checks (readiness includes liveness):
 * <pre>
 * liveness   streams_alive           Streams is not in ERROR / PENDING_ERROR and has a live stream thread
 *            punctuator_not_wedged   the wall-clock punctuator ran within punctuatorWedgedMs (broker reachable)
 * readiness  streams_running         Streams has not been out of RUNNING for longer than streamsGraceMs
 *            broker_reachable        the cluster answered within brokerUnreachableMs
 *            stream_threads_stable   at most threadReplacementsMax threads replaced within the window
 *            partitions_progressing  no assigned input partition with records behind its committed offset
 *                                    that has not moved for stuckPartitionMs
 *            punctuator_recent       the punctuator ran within punctuatorStaleMs while tasks are assigned
 * </pre>
 */
public final class HealthJudge {
    public static final String STREAMS_ALIVE = "streams_alive";
    public static final String PUNCTUATOR_NOT_WEDGED = "punctuator_not_wedged";
    public static final String STREAMS_RUNNING = "streams_running";
    public static final String BROKER_REACHABLE = "broker_reachable";
    public static final String STREAM_THREADS_STABLE = "stream_threads_stable";
    public static final String PARTITIONS_PROGRESSING = "partitions_progressing";
    public static final String PUNCTUATOR_RECENT = "punctuator_recent";
    public static final List<String> ALL = List.of(STREAMS_ALIVE, PUNCTUATOR_NOT_WEDGED, STREAMS_RUNNING,
            BROKER_REACHABLE, STREAM_THREADS_STABLE, PARTITIONS_PROGRESSING, PUNCTUATOR_RECENT);

    /** Where one assigned input partition stands: its committed offset and the end of what can be read. */
    public record PartitionPosition(long committedOffset, long endOffset) {
        public long lag() {
            return Math.max(0, endOffset - Math.max(0, committedOffset));
        }
    }

    private record Progress(long committedOffset, long movedAtMs, long lag) {
    }

    private record Outcome(boolean ok, long sinceMs) {
    }

    private final HealthSettings settings;
    private KafkaStreams.State state = KafkaStreams.State.CREATED;
    private long notRunningSinceMs;
    private long runningSinceMs = -1;
    private int aliveThreads;
    private boolean activeTasks;
    private long lastBrokerOkMs;
    private String lastBrokerError = "";
    private final ArrayDeque<Long> replacements = new ArrayDeque<>();
    private long lastPunctuationMs = -1;
    private final Map<String, Progress> partitions = new TreeMap<>();
    private final Map<String, Outcome> outcomes = new HashMap<>();

    /** @param startMs wall time the application started: start-up counts against the same graces */
    public HealthJudge(HealthSettings settings, long startMs) {
        this.settings = settings;
        this.notRunningSinceMs = startMs;
        this.lastBrokerOkMs = startMs;
    }

    /** Streams' state and threads, as of {@code nowMs}; call on every change and periodically. */
    public synchronized void streams(KafkaStreams.State newState, int liveThreads, boolean hasActiveTasks,
                                     long nowMs) {
        boolean wasRunning = state == KafkaStreams.State.RUNNING;
        boolean running = newState == KafkaStreams.State.RUNNING;
        if (wasRunning && !running) {
            notRunningSinceMs = nowMs;
        } else if (running && !wasRunning) {
            runningSinceMs = nowMs;
        }
        state = newState;
        aliveThreads = liveThreads;
        activeTasks = hasActiveTasks;
    }

    /** The outcome of one broker probe (describeCluster): {@code error} is null when the cluster answered. */
    public synchronized void brokerProbe(String error, long nowMs) {
        if (error == null) {
            lastBrokerOkMs = Math.max(lastBrokerOkMs, nowMs);
            lastBrokerError = "";
        } else {
            lastBrokerError = error;
        }
    }

    /** A stream thread died and was replaced at {@code nowMs}. */
    public synchronized void threadReplaced(long nowMs) {
        replacements.addLast(nowMs);
        forgetOldReplacements(nowMs);
    }

    /** The wall-clock punctuator ran at {@code nowMs}. */
    public synchronized void punctuated(long nowMs) {
        lastPunctuationMs = Math.max(lastPunctuationMs, nowMs);
    }

    /**
     * Positions of the input partitions this instance owns now (name like {@code topic-3}); partitions not in the
     * map are no longer owned and are forgotten.
     */
    public synchronized void partitions(Map<String, PartitionPosition> assigned, long nowMs) {
        partitions.keySet().retainAll(assigned.keySet());
        assigned.forEach((partition, position) -> {
            Progress before = partitions.get(partition);
            long lag = position.lag();
            boolean moved = before == null || before.committedOffset() != position.committedOffset() || lag == 0;
            partitions.put(partition, new Progress(position.committedOffset(),
                    moved ? nowMs : before.movedAtMs(), lag));
        });
    }

    public synchronized HealthReport evaluate(long nowMs) {
        forgetOldReplacements(nowMs);
        boolean brokerOk = nowMs - lastBrokerOkMs <= settings.brokerUnreachableMs();
        List<HealthCheck> liveness = new ArrayList<>();
        List<HealthCheck> readiness = new ArrayList<>();

        boolean failed = state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR;
        boolean threadless = (state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING)
                && aliveThreads == 0;
        liveness.add(check(STREAMS_ALIVE, !failed && !threadless, failed ? "Kafka Streams is in " + state
                : threadless ? "no stream thread is alive (" + state + ")"
                : "Kafka Streams " + state + ", " + aliveThreads + " stream thread(s) alive", nowMs));

        long punctuationRef = Math.max(lastPunctuationMs, runningSinceMs);
        long silentMs = nowMs - punctuationRef;
        boolean watching = activeTasks && state == KafkaStreams.State.RUNNING && runningSinceMs >= 0;
        boolean wedged = watching && brokerOk && silentMs > settings.punctuatorWedgedMs();
        liveness.add(check(PUNCTUATOR_NOT_WEDGED, !wedged, wedged
                ? "no punctuation for " + seconds(silentMs) + " s with the broker reachable: the stream thread is "
                        + "wedged, restart the process"
                : punctuationDetail(watching, silentMs), nowMs));

        long outOfRunningMs = state == KafkaStreams.State.RUNNING ? 0 : nowMs - notRunningSinceMs;
        readiness.add(check(STREAMS_RUNNING, outOfRunningMs <= settings.streamsGraceMs(),
                state == KafkaStreams.State.RUNNING ? "Kafka Streams RUNNING"
                        : "Kafka Streams " + state + " for " + seconds(outOfRunningMs) + " s (grace "
                        + seconds(settings.streamsGraceMs()) + " s)", nowMs));

        readiness.add(check(BROKER_REACHABLE, brokerOk, brokerOk && lastBrokerError.isEmpty()
                ? "the cluster answered " + seconds(nowMs - lastBrokerOkMs) + " s ago"
                : "no answer from the cluster for " + seconds(nowMs - lastBrokerOkMs) + " s (limit "
                        + seconds(settings.brokerUnreachableMs()) + " s)"
                        + (lastBrokerError.isEmpty() ? "" : ": " + lastBrokerError), nowMs));

        readiness.add(check(STREAM_THREADS_STABLE, replacements.size() <= settings.threadReplacementsMax(),
                replacements.size() + " stream thread(s) replaced after a failure in the last "
                        + seconds(settings.threadReplacementsWindowMs()) + " s (limit "
                        + settings.threadReplacementsMax() + ")", nowMs));

        List<String> stuck = new ArrayList<>();
        partitions.forEach((partition, progress) -> {
            long stillMs = nowMs - progress.movedAtMs();
            if (progress.lag() > 0 && stillMs > settings.stuckPartitionMs()) {
                stuck.add(partition + " (offset " + progress.committedOffset() + " for " + seconds(stillMs) + " s, "
                        + progress.lag() + " records behind)");
            }
        });
        readiness.add(check(PARTITIONS_PROGRESSING, stuck.isEmpty(), stuck.isEmpty()
                ? partitions.size() + " input partition(s) assigned, none stuck"
                : "stuck: " + String.join(", ", stuck), nowMs));

        boolean stale = watching && silentMs > settings.punctuatorStaleMs();
        readiness.add(check(PUNCTUATOR_RECENT, !stale, stale
                ? "no punctuation for " + seconds(silentMs) + " s (limit " + seconds(settings.punctuatorStaleMs())
                        + " s): stalls are not being checked"
                : punctuationDetail(watching, silentMs), nowMs));
        return new HealthReport(nowMs, List.copyOf(liveness), List.copyOf(readiness));
    }

    private static String punctuationDetail(boolean watching, long silentMs) {
        return watching ? "last punctuation " + seconds(silentMs) + " s ago" : "no task assigned or not running";
    }

    private HealthCheck check(String name, boolean ok, String detail, long nowMs) {
        Outcome before = outcomes.get(name);
        Outcome now = before != null && before.ok() == ok ? before : new Outcome(ok, nowMs);
        outcomes.put(name, now);
        return new HealthCheck(name, ok, detail, now.sinceMs());
    }

    private void forgetOldReplacements(long nowMs) {
        while (!replacements.isEmpty() && nowMs - replacements.peekFirst() > settings.threadReplacementsWindowMs()) {
            replacements.removeFirst();
        }
    }

    private static long seconds(long ms) {
        return Math.round(ms / 1000.0);
    }
}
