package io.runwatch.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.config.Settings;
import io.runwatch.core.Alert;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunInput;
import io.runwatch.core.guard.GuardedInput;
import io.runwatch.core.guard.StepGuardState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The step guard in the production topology: one corrupt step cannot poison a run, refused input touches nothing. */
class StepGuardTopologyTest {
    private static final long T0 = 1_700_000_000_000L;
    @TempDir
    Path stateDir;
    private TopologyFixture f;

    @AfterEach
    void close() {
        if (f != null) {
            f.close();
        }
    }

    private void step(String run, long step, String loss) {
        long time = T0 + Math.min(step, 10_000) * 1_000;
        f.metric(run, String.format(Locale.ROOT, "{\"run\":\"%s\",\"step\":%d,\"time\":%d,\"loss\":%s,"
                + "\"grad_norm\":1.0}", run, step, time, loss), time);
    }

    private static String loss(long step) {
        return String.format(Locale.ROOT, "%.4f", 3.0 - step * 0.001 + (step % 3) * 0.002);
    }

    @Test
    void oneCorruptStepIsDeadLetteredAndTheNaNAfterItPagesWithoutAnyRewind() {
        f = new TopologyFixture(Settings.defaults(), RunwatchTopology.Mode.LIVE, stateDir);
        for (long s = 1; s <= 300; s++) {
            step("r", s, loss(s));
        }
        f.metric("r", "{\"run\":\"r\",\"step\":1e15,\"loss\":2.7}", T0 + 301_000);
        for (long s = 301; s <= 320; s++) {
            step("r", s, s == 310 ? "NaN" : loss(s));
        }
        List<Alert> alerts = f.alerts();
        assertThat(alerts).extracting(a -> a.type() + "@" + a.step() + "/" + a.state())
                .containsExactly("nonfinite@310/firing", "nonfinite@310/resolved");
        List<DeadLetter> dead = f.deadLetters();
        assertThat(dead).singleElement().satisfies(letter -> {
            assertThat(letter.reason()).isEqualTo("implausible_step");
            assertThat(letter.topic()).isEqualTo("runwatch.metrics");
            assertThat(letter.offset()).isEqualTo(300);
            assertThat(letter.detail()).startsWith("step 1000000000000000 jumped 999999999999700 steps ahead of "
                    + "step 300");
            assertThat(letter.originalText()).contains("\"step\":1000000000000000");
        });
        assertThat(f.scrape()).contains("runwatch_run_step{run=\"r\"} 320.0",
                "runwatch_records_rejected_total{reason=\"implausible_step\",topic=\"runwatch.metrics\"} 1.0")
                .doesNotContain("runwatch_run_restarts_total{run=\"r\"} 1");
    }

    @Test
    void refusedRecordsNeverReachARunsState() {
        f = new TopologyFixture(Settings.defaults(), RunwatchTopology.Mode.LIVE, stateDir);
        List<String> bad = List.of("{\"run\":\"ghost\",\"step\":1e30,\"loss\":1}",
                "{\"run\":\"ghost\",\"step\":1.5,\"loss\":1}",
                "{\"run\":\"ghost\",\"step\":1,\"loss\":1} {\"run\":\"ghost\",\"step\":2}",
                "{\"run\":\"ghost\",\"step\":1,\"step\":2}",
                "{\"run\":\"ghost\\u0000\",\"step\":1}",
                "{\"run\":\"ghost\",\"step\":1,\"loss\":NaN");
        for (String json : bad) {
            f.metric("ghost", json, T0);
        }
        f.event("ghost", "{\"run\":\"ghost\",\"type\":\"start\",\"config\":{\"resumed_from_step\":-4}}", T0);
        f.eval("ghost", "{\"run\":\"ghost\",\"step\":1,\"benchmark\":\"b\\u0007\",\"value\":0.5}", T0);
        assertThat(f.deadLetters()).hasSize(bad.size() + 2);
        assertThat(f.alerts()).isEmpty();
        for (String store : List.of(TrainingProcessor.TRAINING_STORE, TrainingProcessor.LIVENESS_STORE,
                TrainingProcessor.ACTIVITY_STORE, StepGuardProcessor.STORE, EvalProcessor.RUN_STORE,
                EvalProcessor.ACTIVITY_STORE, AlertLifecycleProcessor.STORE)) {
            ReadOnlyKeyValueStore<String, Object> kv = f.store(store);
            List<String> keys = new ArrayList<>();
            kv.all().forEachRemaining(e -> keys.add(e.key));
            assertThat(keys).as(store).isEmpty();
        }
        assertThat(f.scrape()).doesNotContain("run=\"ghost");
    }

    @Test
    void inputHeadersOfAnySizeRideIntoNoOutput() {
        f = new TopologyFixture(Settings.defaults(), RunwatchTopology.Mode.LIVE, stateDir);
        var in = f.driver.createInputTopic(Topics.METRICS.name(), new ByteArraySerializer(),
                new ByteArraySerializer());
        Headers headers = new RecordHeaders().add("trace", new byte[500_000]);
        in.pipeInput(new TestRecord<>("h".getBytes(StandardCharsets.UTF_8),
                "{\"run\":\"h\",\"step\":1,\"loss\":1".getBytes(StandardCharsets.UTF_8), headers, T0));
        in.pipeInput(new TestRecord<>("other-key".getBytes(StandardCharsets.UTF_8),
                "{\"run\":\"h\",\"step\":2,\"loss\":NaN}".getBytes(StandardCharsets.UTF_8), headers, T0));
        var dead = f.driver.createOutputTopic(Topics.DEAD_LETTER.name(), new StringDeserializer(),
                new StringDeserializer()).readRecordsToList();
        var alerts = f.driver.createOutputTopic(Topics.ALERTS.name(), new StringDeserializer(),
                new StringDeserializer()).readRecordsToList();
        assertThat(dead).singleElement().satisfies(r -> assertThat(r.headers().toArray()).isEmpty());
        assertThat(alerts).singleElement().satisfies(r -> assertThat(r.headers().toArray()).isEmpty());
    }

    @Test
    void theGuardStateWithAHeldRecordSurvivesTheChangelogSerde() {
        StepGuardState state = new StepGuardState();
        state.newestStep = 300;
        state.recentIncrements.add(1L);
        state.held.add(new GuardedInput(RunInput.of(MetricPoint.ofLoss("r", 1_000_000, 5, Double.NaN)), 0, 42));
        state.suspectAfterStep = 300;
        StateSerde<StepGuardState> serde = new StateSerde<>(StepGuardState.class);
        StepGuardState back = serde.deserializer().deserialize("t", serde.serializer().serialize("t", state));
        assertThat(back.newestStep).isEqualTo(300);
        assertThat(back.recentIncrements).containsExactly(1L);
        assertThat(back.suspectAfterStep).isEqualTo(300);
        assertThat(back.held).singleElement().satisfies(held -> {
            assertThat(held.sourceOffset()).isEqualTo(42);
            assertThat(held.input().metric().step()).isEqualTo(1_000_000);
            assertThat(held.input().metric().loss()).isNaN();
        });
    }
}
