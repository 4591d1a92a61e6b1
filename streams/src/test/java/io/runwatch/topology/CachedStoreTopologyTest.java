package io.runwatch.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.runwatch.config.Settings;
import io.runwatch.contract.Json;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertState;
import io.runwatch.core.AlertType;
import io.runwatch.core.liveness.LivenessState;
import io.runwatch.core.training.TrainingState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Detector state as live objects written at commit ({@link CachedStore}), through the production topology: what
 * reaches the stores and their changelogs, when, in which format, and that a cache smaller than the fleet changes
 * nothing but memory. (The driver commits after every input record; that several records of a run between two
 * commits give one changelog record is shown on a real broker by {@code StateRestoreIT}.)
 */
class CachedStoreTopologyTest {
    private static final Duration TICK = Duration.ofSeconds(1);
    private static final Settings SETTINGS = Settings.defaults()
            .with(Settings.TICK_INTERVAL_MS, TICK.toMillis())
            .with(Settings.STALL_FLOOR_S, 5)
            .with(Settings.STALL_STARTUP_GRACE_S, 30);

    @TempDir
    Path stateDir;
    @TempDir
    Path otherStateDir;
    private TopologyFixture fixture;
    private long nowMs;

    @AfterEach
    void close() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void eachCommitWritesTheChangedRunsStateToTheStoreAndItsChangelogInTheBinaryFormat() {
        fixture = new TopologyFixture(SETTINGS, RunwatchTopology.Mode.LIVE, stateDir);
        TestOutputTopic<String, byte[]> changelog = changelog(TrainingProcessor.TRAINING_STORE);
        for (int step = 1; step <= 30; step++) {
            send("a", step, "2.5");
        }
        TrainingState committed = fixture.<TrainingState>store(TrainingProcessor.TRAINING_STORE).get("a");
        assertThat(committed.lastStep).isEqualTo(30);
        List<TestRecord<String, byte[]>> written = changelog.readRecordsToList();
        assertThat(written).isNotEmpty().allSatisfy(r -> {
            assertThat(r.key()).isEqualTo("a");
            assertThat(r.value()[0]).as("Smile header").isEqualTo(StateSerde.SMILE_FIRST_BYTE);
        });
        TrainingState last = new StateSerde<>(TrainingState.class).deserializer()
                .deserialize("t", written.get(written.size() - 1).value());
        assertThat(json(last)).isEqualTo(json(committed));

        // Records of another run change nothing of this one: nothing of "a" is written again.
        for (int step = 1; step <= 5; step++) {
            send("b", step, "2.5");
        }
        assertThat(changelog.readRecordsToList()).extracting(TestRecord::key).containsOnly("b");
    }

    @Test
    void aTickWritesALivenessStateOnlyWhenItRaisedOrResolvedSomething() {
        fixture = new TopologyFixture(SETTINGS, RunwatchTopology.Mode.LIVE, stateDir);
        TestOutputTopic<String, byte[]> changelog = changelog(TrainingProcessor.LIVENESS_STORE);
        for (int step = 1; step <= 20; step++) {
            pass(4);
            send("r", step, "2.5");
        }
        changelog.readRecordsToList();
        pass(5); // five ticks within the learned deadline (12-15 s for a 4-s pace)
        assertThat(changelog.readRecordsToList()).as("ticks that found nothing").isEmpty();
        assertThat(fixture.alerts()).isEmpty();

        pass(60);
        List<Alert> stall = fixture.alerts();
        assertThat(stall).extracting(Alert::type).containsExactly(AlertType.stall);
        assertThat(changelog.readRecordsToList()).as("the tick that opened the stall, only")
                .extracting(TestRecord::key).containsExactly("r");
    }

    @Test
    void aCacheSmallerThanTheFleetChangesNothingButMemory() {
        Settings small = SETTINGS.with(Settings.STATE_CACHE_MAX_RUNS, 5);
        Outcome bounded = fleet(small, stateDir);
        CachedStore<?> store = (CachedStore<?>) fixture.driver.getAllStateStores()
                .get(TrainingProcessor.TRAINING_STORE);
        assertThat(store.objectCount()).isLessThanOrEqualTo(5);
        fixture.close();
        fixture = null;

        Outcome unbounded = fleet(SETTINGS, otherStateDir);
        assertThat(bounded.states).hasSize(40).isEqualTo(unbounded.states);
        assertThat(bounded.alerts).isEqualTo(unbounded.alerts)
                .extracting(Alert::run, Alert::type, Alert::state).containsExactly(
                        tuple("run-07", AlertType.nonfinite, AlertState.firing),
                        tuple("run-07", AlertType.nonfinite, AlertState.resolved));
    }

    @Test
    void objectsChangedBeyondTheBoundBeforeACommitAreWrittenWhenEvictedNotLost() {
        fixture = new TopologyFixture(SETTINGS.with(Settings.STATE_CACHE_MAX_RUNS, 2), RunwatchTopology.Mode.LIVE,
                stateDir);
        List<String> runs = List.of("s1", "s2", "s3", "s4", "s5");
        for (int step = 1; step <= 20; step++) {
            pass(4);
            for (String run : runs) {
                send(run, step, "2.5");
            }
        }
        pass(60); // one tick opens the stall of all five runs: five liveness states change in one punctuation
        assertThat(fixture.alerts()).extracting(Alert::run).containsExactlyInAnyOrderElementsOf(runs);
        for (String run : runs) {
            LivenessState state = fixture.<LivenessState>store(TrainingProcessor.LIVENESS_STORE).get(run);
            assertThat(state.stall.openId).as(run).isNotNull();
        }
    }

    private record Outcome(Map<String, String> states, List<Alert> alerts) {
    }

    /** 40 runs, 12 steps each, round robin; run-07 reports a NaN loss at step 6. */
    private Outcome fleet(Settings settings, Path dir) {
        fixture = new TopologyFixture(settings, RunwatchTopology.Mode.LIVE, dir);
        nowMs = 0;
        for (int step = 1; step <= 12; step++) {
            for (int run = 0; run < 40; run++) {
                String id = String.format(Locale.ROOT, "run-%02d", run);
                send(id, step, run == 7 && step == 6 ? "NaN" : String.valueOf(3.0 - step * 0.01));
            }
        }
        Map<String, String> states = new TreeMap<>();
        fixture.<TrainingState>store(TrainingProcessor.TRAINING_STORE).all()
                .forEachRemaining(kv -> states.put(kv.key, json(kv.value)));
        return new Outcome(states, fixture.alerts().stream().filter(a -> a.type() != AlertType.stall).toList());
    }

    private void send(String run, int step, String loss) {
        fixture.metric(run, String.format(Locale.ROOT, "{\"run\":\"%s\",\"step\":%d,\"loss\":%s}", run, step, loss),
                nowMs);
    }

    private void pass(long seconds) {
        for (long s = 0; s < seconds; s++) {
            fixture.advanceWallClock(TICK);
            nowMs += TICK.toMillis();
        }
    }

    private TestOutputTopic<String, byte[]> changelog(String store) {
        return fixture.driver.createOutputTopic("runwatch-test-" + store + "-changelog", new StringDeserializer(),
                new ByteArrayDeserializer());
    }

    private static String json(Object state) {
        try {
            return Json.MAPPER.writeValueAsString(state);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
