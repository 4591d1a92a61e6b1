package io.runwatch.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.config.Settings;
import io.runwatch.contract.Json;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.liveness.LivenessMonitor;
import io.runwatch.core.liveness.LivenessState;
import io.runwatch.core.training.TrainingHealthMonitor;
import io.runwatch.core.training.TrainingState;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The state format: Smile written, Smile and the JSON of earlier versions read, nothing lost either way. */
class StateSerdeTest {
    private static final long T0 = 1_700_000_000_000L;

    /** A run's states after 3,000 noisy steps: baselines learned, rings full, a NaN loss among them. */
    private static Object[] states() {
        Settings settings = Settings.defaults();
        TrainingHealthMonitor training = new TrainingHealthMonitor(settings.training());
        LivenessMonitor liveness = new LivenessMonitor(settings.liveness());
        TrainingState trainingState = new TrainingState();
        LivenessState livenessState = new LivenessState();
        SplittableRandom random = new SplittableRandom(7);
        for (int step = 1; step <= 3_000; step++) {
            double loss = step == 1_500 ? Double.NaN : 2 + 1 / Math.sqrt(step) + 0.01 * random.nextGaussian();
            MetricPoint point = MetricPoint.ofLoss("serde-run", step, T0 + step * 1_000L, loss)
                    .withThroughput(150_000 * (1 + 0.01 * random.nextGaussian()), null);
            training.onMetric(trainingState, point);
            liveness.onMetric(livenessState, point);
        }
        return new Object[] {trainingState, livenessState};
    }

    @Test
    void stateIsWrittenAsSmileAndReadBackUnchanged() throws Exception {
        for (Object state : states()) {
            @SuppressWarnings("unchecked")
            Class<Object> type = (Class<Object>) state.getClass();
            StateSerde<Object> serde = new StateSerde<>(type);
            byte[] smile = serde.serializer().serialize("t", state);
            byte[] json = Json.MAPPER.writeValueAsBytes(state);
            assertThat(new String(smile, 0, 3, java.nio.charset.StandardCharsets.ISO_8859_1)).isEqualTo(":)\n");
            Object back = serde.deserializer().deserialize("t", smile);
            assertThat(Json.MAPPER.writeValueAsString(back)).as(type.getSimpleName())
                    .isEqualTo(Json.MAPPER.writeValueAsString(state));
            System.out.printf("%s: %d bytes of Smile, %d bytes of JSON%n", type.getSimpleName(), smile.length,
                    json.length);
        }
    }

    @Test
    void theJsonOfAStoreWrittenByAnEarlierVersionIsStillRead() throws Exception {
        for (Object state : states()) {
            @SuppressWarnings("unchecked")
            Class<Object> type = (Class<Object>) state.getClass();
            byte[] json = Json.MAPPER.writeValueAsBytes(state); // what the earlier JsonSerde wrote
            assertThat(json[0]).isEqualTo((byte) '{');
            Object back = new StateSerde<>(type).deserializer().deserialize("t", json);
            assertThat(Json.MAPPER.writeValueAsString(back)).as(type.getSimpleName())
                    .isEqualTo(Json.MAPPER.writeValueAsString(state));
        }
    }

    @Test
    void nonFiniteNumbersSurviveTheBinaryFormat() {
        LivenessState state = new LivenessState();
        state.declaredNextS = Double.NaN;
        state.productiveMs = Double.POSITIVE_INFINITY;
        state.throughput.baseline = Double.NEGATIVE_INFINITY;
        StateSerde<LivenessState> serde = new StateSerde<>(LivenessState.class);
        LivenessState back = serde.deserializer().deserialize("t", serde.serializer().serialize("t", state));
        assertThat(back.declaredNextS).isNaN();
        assertThat(back.productiveMs).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(back.throughput.baseline).isEqualTo(Double.NEGATIVE_INFINITY);
    }

    /** What the previous version wrote: Smile with every double[] as an array of numbers. */
    private static final com.fasterxml.jackson.databind.ObjectMapper SMILE_WITH_ARRAYS =
            com.fasterxml.jackson.dataformat.smile.databind.SmileMapper.builder()
                    .visibility(com.fasterxml.jackson.annotation.PropertyAccessor.ALL,
                            com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility.NONE)
                    .visibility(com.fasterxml.jackson.annotation.PropertyAccessor.FIELD,
                            com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility.ANY)
                    .serializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                    .build();

    @Test
    void theSmileOfAnEarlierVersionWithDoubleArraysIsStillRead() throws Exception {
        for (Object state : states()) {
            @SuppressWarnings("unchecked")
            Class<Object> type = (Class<Object>) state.getClass();
            byte[] old = SMILE_WITH_ARRAYS.writeValueAsBytes(state);
            byte[] now = new StateSerde<>(type).serializer().serialize("t", state);
            assertThat(now.length).as(type.getSimpleName() + ": packed arrays are smaller").isLessThan(old.length);
            Object back = new StateSerde<>(type).deserializer().deserialize("t", old);
            assertThat(Json.MAPPER.writeValueAsString(back)).as(type.getSimpleName())
                    .isEqualTo(Json.MAPPER.writeValueAsString(state));
        }
    }

    @Test
    void doubleArraysArePackedWithTheirExactBits() {
        LivenessState state = new LivenessState();
        state.throughput.window = new double[] {Double.NaN, -0.0, Double.MIN_VALUE, Double.NEGATIVE_INFINITY,
                Math.PI, -1e300};
        StateSerde<LivenessState> serde = new StateSerde<>(LivenessState.class);
        LivenessState back = serde.deserializer().deserialize("t", serde.serializer().serialize("t", state));
        assertThat(back.throughput.window).hasSize(6);
        for (int i = 0; i < 6; i++) {
            assertThat(Double.doubleToRawLongBits(back.throughput.window[i]))
                    .isEqualTo(Double.doubleToRawLongBits(state.throughput.window[i]));
        }
        state.throughput.window = new double[0];
        assertThat(serde.deserializer().deserialize("t", serde.serializer().serialize("t", state)).throughput.window)
                .isEmpty();
    }
}
