package io.runwatch.topology;

import io.runwatch.contract.InputJson;
import io.runwatch.contract.Rejection;
import io.runwatch.core.RunInput;
import io.runwatch.core.guard.GuardDecision;
import io.runwatch.core.guard.GuardedInput;
import io.runwatch.core.guard.StepGuardState;
import io.runwatch.core.guard.StepJumpGuard;
import io.runwatch.metrics.RunwatchMetrics;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Runs the {@link StepJumpGuard} over a run's merged metrics and events, before the training and liveness
 * detectors and in the same task, its state in a changelogged store keyed by run (committed in the same
 * transaction as theirs). Passes inputs on (held ones later, in order) and turns refused suspects into dead
 * letters with reason {@code implausible_step}. A punctuator forgets runs silent for the state retention; it reads
 * only the runs due, from a {@link DeadlineIndex} of their expiry times (in memory, rebuilt from the store's keys
 * when the task starts: those runs are read once, a bounded number per tick, since expiry is 14 days away).
 */
final class StepGuardProcessor extends ContextualProcessor<String, RunInput, String, Parsed> {
    static final String STORE = "step-guard-state";

    private final StepJumpGuard guard;
    private final RunwatchMetrics metrics;
    private final Housekeeping housekeeping;
    private DeadLetters deadLetters;
    private CachedStore<StepGuardState> store;
    private final DeadlineIndex expiries = new DeadlineIndex();

    StepGuardProcessor(StepJumpGuard guard, RunwatchMetrics metrics, DeadLetters deadLetters,
                       Housekeeping housekeeping) {
        this.guard = guard;
        this.metrics = metrics;
        this.deadLetters = deadLetters;
        this.housekeeping = housekeeping;
    }

    @Override
    public void init(ProcessorContext<String, Parsed> context) {
        super.init(context);
        deadLetters = DeadLetters.forProducer(deadLetters.maxRecordBytes(), context.appConfigs());
        store = context.getStateStore(STORE);
        context.schedule(housekeeping.tick(), housekeeping.clock(), this::expire);
        expiries.clear();
        for (String run : store.keys()) {
            expiries.schedule(expiries.entry(run), DeadlineIndex.UNKNOWN);
        }
    }

    @Override
    public void process(Record<String, RunInput> record) {
        String run = record.value().run();
        RecordMetadata origin = context().recordMetadata().orElse(null);
        // Partition and offset of the input topic; after a re-key they would name the repartition topic.
        boolean fromInput = origin != null && origin.topic().equals(Topics.METRICS.name());
        GuardedInput guarded = new GuardedInput(record.value(), fromInput ? origin.partition() : -1,
                fromInput ? origin.offset() : -1);
        StepGuardState state = store.getOrCreate(run, StepGuardState::new);
        GuardDecision decision = guard.onInput(state, guarded);
        store.put(run, state);
        expiries.schedule(expiries.entry(run), expiryMs(state));
        refuse(run, decision.refused(), record.timestamp());
        for (GuardedInput released : decision.release()) {
            context().forward(new Record<>(run, new Parsed(released.input(), null), record.timestamp()));
        }
    }

    private void refuse(String run, List<GuardDecision.Refused> refused, long timestamp) {
        for (GuardDecision.Refused r : refused) {
            metrics.recordRejected(Topics.METRICS.name(), Rejection.IMPLAUSIBLE_STEP);
            // The original bytes are gone by now: the letter carries the record re-encoded in the contract.
            byte[] value = InputJson.write(r.input().input()).getBytes(StandardCharsets.UTF_8);
            DeadLetter letter = deadLetters.letter(Topics.METRICS.name(), r.input().sourcePartition(),
                    r.input().sourceOffset(), r.input().input().timeMs(), run, Rejection.IMPLAUSIBLE_STEP,
                    r.detail(), value);
            context().forward(new Record<>(DeadLetters.key(run), new Parsed(null, letter), timestamp));
        }
    }

    private void expire(long nowMs) {
        int max = housekeeping.clock() == PunctuationType.WALL_CLOCK_TIME ? housekeeping.maxDueRunsPerTick()
                : Integer.MAX_VALUE;
        List<String> due = expiries.due(nowMs, max);
        due.sort(null);
        for (String run : due) {
            StepGuardState state = store.getIfPresent(run);
            if (state != null && nowMs - state.lastSeenMs > housekeeping.stateRetentionMs()) {
                refuse(run, guard.expire(state), nowMs);
                store.delete(run);
                expiries.remove(run);
            } else if (state == null) {
                expiries.remove(run);
            } else {
                expiries.schedule(expiries.entry(run), expiryMs(state));
            }
        }
    }

    /** The first time at which {@code now - lastSeen > retention}. */
    private long expiryMs(StepGuardState state) {
        long retention = housekeeping.stateRetentionMs();
        return state.lastSeenMs > Long.MAX_VALUE - retention - 1 ? Long.MAX_VALUE
                : Math.max(Long.MIN_VALUE + 1, state.lastSeenMs) + retention + 1;
    }

    @Override
    public void close() {
        expiries.clear();
    }
}
