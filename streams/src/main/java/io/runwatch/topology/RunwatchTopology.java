package io.runwatch.topology;

import io.runwatch.config.Settings;
import io.runwatch.contract.InputParser;
import io.runwatch.core.Alert;
import io.runwatch.core.RunInput;
import io.runwatch.core.alerts.AlertBook;
import io.runwatch.core.evals.EvalMonitor;
import io.runwatch.core.evals.EvalRunState;
import io.runwatch.core.evals.TrajectoryState;
import io.runwatch.core.guard.StepGuardState;
import io.runwatch.core.guard.StepJumpGuard;
import io.runwatch.core.liveness.LivenessMonitor;
import io.runwatch.core.liveness.LivenessState;
import io.runwatch.core.training.TrainingHealthMonitor;
import io.runwatch.core.training.TrainingState;
import io.runwatch.metrics.RunwatchMetrics;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The one entry point that builds runwatch's topology, used alike by {@code run}, {@code demo}, {@code backtest}
 * and the tests:
 * <pre>
 * runwatch.metrics ─parse─┐                                   ┌─ dead letters ─► runwatch.deadletter
 * runwatch.events  ─parse─┼─ by run ─► training + liveness ─┐ │
 * runwatch.evals   ─parse─┴─ by run ─► evaluations ─────────┴─► alert lifecycle ─► runwatch.alerts
 * </pre>
 * Records whose key is not their run id are re-keyed through a repartition topic so that one task sees a run.
 */
public final class RunwatchTopology {
    /**
     * LIVE: silence checked on wall-clock time, state in persistent changelogged stores. REPLAY (backtest): on
     * record time, in-memory stores without changelogs, since a replay starts from nothing and keeps nothing.
     */
    public enum Mode { LIVE, REPLAY }

    private RunwatchTopology() {
    }

    public static void build(StreamsBuilder builder, Settings settings, RunwatchMetrics metrics, Mode mode) {
        boolean persistentStores = mode == Mode.LIVE;
        InputParser parser = new InputParser(settings.integer(Settings.MAX_RECORD_BYTES));
        DeadLetters deadLetters = new DeadLetters(settings.integer(Settings.DEADLETTER_MAX_RECORD_BYTES));
        Serde<RunInput> inputSerde = new JsonSerde<>(RunInput.class);

        KStream<String, RunInput> trainingInputs = parsed(builder, Topics.METRICS, InputParser.Kind.METRICS, parser,
                metrics, deadLetters, inputSerde, "metrics")
                .merge(parsed(builder, Topics.EVENTS, InputParser.Kind.EVENTS, parser, metrics, deadLetters,
                                inputSerde, "events"),
                        Named.as("merge-metrics-and-events"));
        KStream<String, RunInput> evalInputs = parsed(builder, Topics.EVALS, InputParser.Kind.EVALS, parser, metrics,
                deadLetters, inputSerde, "evals");

        // Training and liveness share one processor: both must see a run's metrics and events in one order.
        int maxObjects = settings.integer(Settings.STATE_CACHE_MAX_RUNS);
        addCachedStore(builder, TrainingProcessor.TRAINING_STORE, TrainingState.class, persistentStores, maxObjects);
        addCachedStore(builder, TrainingProcessor.LIVENESS_STORE, LivenessState.class, persistentStores, maxObjects);
        addCachedStore(builder, TrainingProcessor.ACTIVITY_STORE, RunActivity.class, persistentStores, maxObjects);
        Housekeeping housekeeping = new Housekeeping(
                mode == Mode.LIVE ? PunctuationType.WALL_CLOCK_TIME : PunctuationType.STREAM_TIME,
                Duration.ofMillis(settings.longValue(Settings.TICK_INTERVAL_MS)),
                settings.longValue(Settings.RUN_RETENTION_S) * 1000,
                settings.longValue(Settings.STATE_RETENTION_S) * 1000,
                settings.longValue(Settings.STALL_INPUT_IDLE_S) * 1000,
                // training series: the shorter finished / idle retention, never longer than the general one
                1000 * Math.min(settings.longValue(Settings.METRICS_RUN_FINISHED_S),
                        settings.longValue(Settings.RUN_RETENTION_S)),
                1000 * Math.min(settings.longValue(Settings.METRICS_RUN_IDLE_S),
                        settings.longValue(Settings.RUN_RETENTION_S)),
                settings.integer(Settings.TICK_MAX_DUE_RUNS));
        // The step guard holds an implausible step until later records confirm it; refused ones are dead letters.
        addCachedStore(builder, StepGuardProcessor.STORE, StepGuardState.class, persistentStores, maxObjects);
        StepJumpGuard guard = new StepJumpGuard(settings.stepGuard());
        Map<String, KStream<String, Parsed>> guarded = trainingInputs
                .process(() -> new StepGuardProcessor(guard, metrics, deadLetters, housekeeping),
                        Named.as("step-guard"), StepGuardProcessor.STORE)
                .split(Named.as("step-guard-"))
                .branch((key, value) -> !value.isOk(), Branched.as("refused"))
                .defaultBranch(Branched.as("passed"));
        guarded.get("step-guard-refused")
                .mapValues(Parsed::deadLetter, Named.as("step-guard-dead-letter"))
                .to(Topics.DEAD_LETTER.name(), Produced.with(Topics.DEAD_LETTER.keySerde(),
                        Topics.DEAD_LETTER.valueSerde()).withName("step-guard-to-dead-letter"));
        KStream<String, Alert> trainingAlerts = guarded.get("step-guard-passed")
                .mapValues(Parsed::input, Named.as("step-guard-input"))
                .process(
                () -> new TrainingProcessor(new TrainingHealthMonitor(settings.training()),
                        new LivenessMonitor(settings.liveness()), metrics, housekeeping),
                Named.as("training-and-liveness"),
                TrainingProcessor.TRAINING_STORE, TrainingProcessor.LIVENESS_STORE, TrainingProcessor.ACTIVITY_STORE);

        // Written per alert, not per record: a plain store. The eval processor reads it (the loss-spike episodes an
        // eval_co_drop names): same run key, same task.
        builder.addStateStore(keyValueStore(AlertLifecycleProcessor.STORE, AlertBook.class, persistentStores));
        addCachedStore(builder, EvalProcessor.RUN_STORE, EvalRunState.class, persistentStores, maxObjects);
        addCachedStore(builder, EvalProcessor.TRAJECTORY_STORE, TrajectoryState.class, persistentStores, maxObjects);
        addCachedStore(builder, EvalProcessor.ACTIVITY_STORE, RunActivity.class, persistentStores, maxObjects);
        KStream<String, Alert> evalAlerts = evalInputs.process(
                () -> new EvalProcessor(new EvalMonitor(settings.evals()), metrics, housekeeping),
                Named.as("evaluations"), EvalProcessor.RUN_STORE, EvalProcessor.TRAJECTORY_STORE,
                EvalProcessor.ACTIVITY_STORE, AlertLifecycleProcessor.STORE);

        // Both alert streams are keyed by run and co-partitioned with the inputs: no repartition needed.
        trainingAlerts.merge(evalAlerts, Named.as("merge-alerts"))
                .process(() -> new AlertLifecycleProcessor(metrics, settings.string(Settings.RUNBOOK_BASE_URL),
                                settings.longValue(Settings.ALERT_COOLDOWN_STEPS), housekeeping),
                        Named.as("alert-lifecycle"), AlertLifecycleProcessor.STORE)
                .to(Topics.ALERTS.name(), Produced.with(Topics.ALERTS.keySerde(), Topics.ALERTS.valueSerde())
                        .withName("to-alerts"));
    }

    /** Source → contract check → dead letters out, valid inputs keyed by run (re-keyed when the key differs). */
    private static KStream<String, RunInput> parsed(StreamsBuilder builder, Topics.Topic<byte[], byte[]> topic,
                                                    InputParser.Kind kind, InputParser parser,
                                                    RunwatchMetrics metrics, DeadLetters deadLetters,
                                                    Serde<RunInput> inputSerde, String name) {
        KStream<String, Parsed> parsed = builder
                .stream(topic.name(), Consumed.with(topic.keySerde(), topic.valueSerde()).withName(name + "-source"))
                .process(() -> new ParseProcessor(kind, parser, metrics, deadLetters), Named.as(name + "-parse"));
        Map<String, KStream<String, Parsed>> branches = parsed.split(Named.as(name + "-"))
                .branch((key, value) -> !value.isOk(), Branched.as("rejected"))
                .branch((key, value) -> value.input().run().equals(key), Branched.as("keyed-by-run"))
                .defaultBranch(Branched.as("needs-rekey"));
        branches.get(name + "-rejected")
                .mapValues(Parsed::deadLetter, Named.as(name + "-dead-letter"))
                .to(Topics.DEAD_LETTER.name(), Produced.with(Topics.DEAD_LETTER.keySerde(),
                        Topics.DEAD_LETTER.valueSerde()).withName(name + "-to-dead-letter"));
        KStream<String, RunInput> keyed = branches.get(name + "-keyed-by-run")
                .mapValues(Parsed::input, Named.as(name + "-input"));
        KStream<String, RunInput> rekeyed = branches.get(name + "-needs-rekey")
                .map((key, value) -> org.apache.kafka.streams.KeyValue.pair(value.input().run(), value.input()),
                        Named.as(name + "-key-by-run"))
                .repartition(Repartitioned.with(Serdes.String(), inputSerde).withName(name + "-by-run"));
        return keyed.merge(rekeyed, Named.as(name + "-merge-rekeyed"));
    }

    /** Detector state written per record: live objects, serialized once per commit ({@link CachedStore}). */
    private static <T> void addCachedStore(StreamsBuilder builder, String name, Class<T> type, boolean live,
                                           int maxObjects) {
        builder.addStateStore(new CachedStoreBuilder<>(keyValueStore(name, type, live), live, maxObjects));
    }

    private static <T> StoreBuilder<KeyValueStore<String, T>> keyValueStore(String name, Class<T> type,
                                                                          boolean live) {
        KeyValueBytesStoreSupplier supplier = live ? Stores.persistentKeyValueStore(name)
                : Stores.inMemoryKeyValueStore(name);
        var store = Stores.keyValueStoreBuilder(supplier, Serdes.String(), new StateSerde<>(type));
        // Live state is changelogged: it survives a restart or a move to another instance.
        return live ? store.withLoggingEnabled(Map.of()) : store.withLoggingDisabled();
    }
}
