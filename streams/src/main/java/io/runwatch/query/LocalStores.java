package io.runwatch.query;

import io.runwatch.core.evals.EvalRunState;
import io.runwatch.core.evals.TrajectoryState;
import io.runwatch.core.liveness.LivenessMonitor;
import io.runwatch.core.liveness.LivenessState;
import io.runwatch.core.training.TrainingState;
import io.runwatch.query.QueryViews.Episode;
import io.runwatch.query.QueryViews.Evaluation;
import io.runwatch.query.QueryViews.RunDetail;
import io.runwatch.query.QueryViews.RunListItem;
import io.runwatch.core.alerts.AlertBook;
import io.runwatch.topology.QueryableStores;
import io.runwatch.topology.RunActivity;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreType;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Reads this instance's own stores, one partition at a time, so that what was answered is exactly known. A
 * partition this instance does not hold (or holds only as a standby, unless {@code stale} is asked for) throws
 * {@link InvalidStateStoreException}: the caller forwards, retries or says so.
 */
final class LocalStores {
    private final KafkaStreams streams;
    private final LivenessMonitor liveness;
    private final String instance;

    LocalStores(KafkaStreams streams, LivenessMonitor liveness, String instance) {
        this.streams = streams;
        this.liveness = liveness;
        this.instance = instance;
    }

    /** The run's detail from partition {@code partition}; empty when the partition holds nothing of it. */
    Optional<RunDetail> run(String run, int partition, boolean stale, long nowMs) {
        TrainingState training = store(QueryableStores.TRAINING, QueryableStores.TRAINING_TYPE, partition, stale)
                .get(run);
        LivenessState livenessState = store(QueryableStores.LIVENESS, QueryableStores.LIVENESS_TYPE, partition,
                stale).get(run);
        AlertBook book = store(QueryableStores.ALERTS, QueryableStores.ALERTS_TYPE, partition, stale).get(run);
        EvalRunState evalRun = store(QueryableStores.EVAL_RUNS, QueryableStores.EVAL_RUNS_TYPE, partition, stale)
                .get(run);
        List<Evaluation> evaluations = new ArrayList<>();
        ReadOnlyKeyValueStore<String, TrajectoryState> trajectories = store(QueryableStores.EVAL_TRAJECTORIES,
                QueryableStores.EVAL_TRAJECTORIES_TYPE, partition, stale);
        try (KeyValueIterator<String, TrajectoryState> it = trajectories.prefixScan(
                QueryableStores.trajectoryPrefix(run), Serdes.String().serializer())) {
            it.forEachRemaining(entry -> {
                if (run.equals(entry.value.run)) { // not a longer run id that shares the prefix
                    evaluations.add(RunViews.evaluation(entry.value, evalRun));
                }
            });
        }
        evaluations.sort(Comparator.comparing(Evaluation::benchmark, Comparator.nullsFirst(Comparator.naturalOrder()))
                .thenComparing(Evaluation::metric, Comparator.nullsFirst(Comparator.naturalOrder())));
        Long lastRecord = lastRecordMs(run, partition, stale);
        if (training == null && livenessState == null && book == null && evalRun == null && evaluations.isEmpty()
                && lastRecord == null) {
            return Optional.empty();
        }
        return Optional.of(new RunDetail(run, instance, partition, stale, lastRecord, QueryViews.iso(lastRecord),
                RunViews.training(training),
                livenessState == null ? null
                        : RunViews.liveness(livenessState, liveness.gauges(livenessState, nowMs), nowMs),
                RunViews.open(run, book), RunViews.resolved(run, book), evaluations));
    }

    /** Every run of a partition this instance is active for. */
    List<RunListItem> runs(int partition) {
        ReadOnlyKeyValueStore<String, TrainingState> training = store(QueryableStores.TRAINING,
                QueryableStores.TRAINING_TYPE, partition, false);
        ReadOnlyKeyValueStore<String, AlertBook> alerts = store(QueryableStores.ALERTS, QueryableStores.ALERTS_TYPE,
                partition, false);
        TreeSet<String> runs = new TreeSet<>();
        for (String name : List.of(QueryableStores.TRAINING, QueryableStores.EVAL_RUNS, QueryableStores.ALERTS)) {
            ReadOnlyKeyValueStore<String, Object> store = store(name,
                    org.apache.kafka.streams.state.QueryableStoreTypes.<String, Object>keyValueStore(), partition, false);
            try (KeyValueIterator<String, Object> it = store.all()) {
                it.forEachRemaining(entry -> runs.add(entry.key));
            }
        }
        List<RunListItem> items = new ArrayList<>();
        for (String run : runs) {
            TrainingState state = training.get(run);
            Long lastRecord = lastRecordMs(run, partition, false);
            items.add(new RunListItem(run, partition, state == null || state.lastStep < 0 ? null : state.lastStep,
                    lastRecord, QueryViews.iso(lastRecord), RunViews.open(run, alerts.get(run))));
        }
        return items;
    }

    /** Open and/or recently resolved episodes of every run of a partition this instance is active for. */
    List<Episode> alerts(int partition, Predicate<String> state) {
        List<Episode> episodes = new ArrayList<>();
        try (KeyValueIterator<String, AlertBook> it = store(QueryableStores.ALERTS, QueryableStores.ALERTS_TYPE,
                partition, false).all()) {
            it.forEachRemaining(entry -> {
                if (state.test("firing")) {
                    episodes.addAll(RunViews.open(entry.key, entry.value));
                }
                if (state.test("resolved")) {
                    episodes.addAll(RunViews.resolved(entry.key, entry.value));
                }
            });
        }
        return episodes;
    }

    /** Newest record time of the run, training or evaluation; null when neither store knows it. */
    private Long lastRecordMs(String run, int partition, boolean stale) {
        Long newest = null;
        for (String name : List.of(QueryableStores.TRAINING_ACTIVITY, QueryableStores.EVAL_ACTIVITY)) {
            RunActivity activity = store(name, QueryableStores.ACTIVITY_TYPE, partition, stale).get(run);
            if (activity != null && activity.lastSeenMs != Long.MIN_VALUE
                    && (newest == null || activity.lastSeenMs > newest)) {
                newest = activity.lastSeenMs;
            }
        }
        return newest;
    }

    private <T> T store(String name, QueryableStoreType<T> type, int partition, boolean stale) {
        StoreQueryParameters<T> parameters = StoreQueryParameters.fromNameAndType(name, type).withPartition(partition);
        return streams.store(stale ? parameters.enableStaleStores() : parameters);
    }
}
