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
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Runs the {@link StepJumpGuard} over a run's merged metrics and events, before the training and liveness
 * detectors and in the same task, its state in a changelogged store keyed by run (committed in the same
 * transaction as theirs). Passes inputs on (held ones later, in order) and turns refused suspects into dead
 * letters with reason {@code implausible_step}. A punctuator forgets runs silent for the state retention.
 */
final class StepGuardProcessor extends ContextualProcessor<String, RunInput, String, Parsed> {
    static final String STORE = "step-guard-state";

    private final StepJumpGuard guard;
    private final RunwatchMetrics metrics;
    private final Housekeeping housekeeping;
    private DeadLetters deadLetters;
    private CachedStore<StepGuardState> store;

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
        for (String run : store.keys()) {
            StepGuardState state = store.getIfPresent(run);
            if (state != null && nowMs - state.lastSeenMs > housekeeping.stateRetentionMs()) {
                refuse(run, guard.expire(state), nowMs);
                store.delete(run);
            }
        }
    }
}
