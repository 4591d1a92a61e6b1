package io.runwatch.topology;

import io.runwatch.core.alerts.AlertBook;
import io.runwatch.core.evals.EvalRunState;
import io.runwatch.core.evals.TrajectoryState;
import io.runwatch.core.liveness.LivenessState;
import io.runwatch.core.training.TrainingState;
import org.apache.kafka.streams.state.QueryableStoreType;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The state stores that the query endpoints read ({@code io.runwatch.query}), with their key and value types: the
 * one place outside the processors that knows store names, so a change of a store is fixed here. All of them live
 * in one sub-topology (the alert streams merge the training and evaluation streams), so one task, on one instance,
 * holds every store of a run.
 */
public final class QueryableStores {
    public static final String TRAINING = TrainingProcessor.TRAINING_STORE;
    public static final String LIVENESS = TrainingProcessor.LIVENESS_STORE;
    public static final String TRAINING_ACTIVITY = TrainingProcessor.ACTIVITY_STORE;
    public static final String EVAL_RUNS = EvalProcessor.RUN_STORE;
    /** Keyed by {@link #trajectoryPrefix(String)} + the trajectory key. */
    public static final String EVAL_TRAJECTORIES = EvalProcessor.TRAJECTORY_STORE;
    public static final String EVAL_ACTIVITY = EvalProcessor.ACTIVITY_STORE;
    public static final String ALERTS = AlertLifecycleProcessor.STORE;

    public static final QueryableStoreType<ReadOnlyKeyValueStore<String, TrainingState>> TRAINING_TYPE =
            QueryableStoreTypes.keyValueStore();
    public static final QueryableStoreType<ReadOnlyKeyValueStore<String, LivenessState>> LIVENESS_TYPE =
            QueryableStoreTypes.keyValueStore();
    public static final QueryableStoreType<ReadOnlyKeyValueStore<String, RunActivity>> ACTIVITY_TYPE =
            QueryableStoreTypes.keyValueStore();
    public static final QueryableStoreType<ReadOnlyKeyValueStore<String, EvalRunState>> EVAL_RUNS_TYPE =
            QueryableStoreTypes.keyValueStore();
    public static final QueryableStoreType<ReadOnlyKeyValueStore<String, TrajectoryState>> EVAL_TRAJECTORIES_TYPE =
            QueryableStoreTypes.keyValueStore();
    public static final QueryableStoreType<ReadOnlyKeyValueStore<String, AlertBook>> ALERTS_TYPE =
            QueryableStoreTypes.keyValueStore();

    private QueryableStores() {
    }

    /** Prefix of a run's keys in {@link #EVAL_TRAJECTORIES} (a longer run id may share it: check the value's run). */
    public static String trajectoryPrefix(String run) {
        return run + "|";
    }
}
