package io.runwatch.core.liveness;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.contract.Json;
import io.runwatch.core.MetricPoint;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LivenessStateRoundTripTest {

    /** A run with everything going on: learned pace, saves, a slowdown, restarts, a stall. */
    private static void busyHistory(LivenessDriver run, int rounds, SplittableRandom random) {
        run.start(null);
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < 300; i++) {
                double slow = round % 4 == 3 ? 1.3 : 1.0;
                run.pass(slow * (1 + 0.05 * random.nextGaussian())).metric(MetricPoint.ofLoss(LivenessDriver.RUN,
                        run.step + 1, run.nowMs, 2.0).withThroughput(150_000 / slow, null));
            }
            run.checkpoint().pass(120);
            if (round % 5 == 4) {
                run.pass(400).start(run.step - 50);
            }
        }
    }

    @Test
    void detectionContinuesIdenticallyAfterAJsonRoundTrip() throws Exception {
        LivenessDriver original = new LivenessDriver();
        busyHistory(original, 12, new SplittableRandom(3));
        String json = Json.MAPPER.writeValueAsString(original.state);
        System.out.printf("liveness state after %d steps: %d bytes of JSON%n", original.step, json.length());

        LivenessDriver restored = new LivenessDriver();
        restored.state = Json.MAPPER.readValue(json, LivenessState.class);
        restored.nowMs = original.nowMs;
        restored.step = original.step;
        assertThat(Json.MAPPER.writeValueAsString(restored.state)).isEqualTo(json);

        int before = original.alerts.size();
        busyHistory(original, 12, new SplittableRandom(4));
        busyHistory(restored, 12, new SplittableRandom(4));
        original.pass(3_600);
        restored.pass(3_600);

        assertThat(original.alerts.subList(before, original.alerts.size())).isNotEmpty()
                .isEqualTo(restored.alerts);
        assertThat(restored.monitor.gauges(restored.state, restored.nowMs))
                .isEqualTo(original.monitor.gauges(original.state, original.nowMs));
    }

    @Test
    void stateSizeIsSmallAndDoesNotGrowWithTheRun() throws Exception {
        LivenessDriver shortRun = new LivenessDriver();
        busyHistory(shortRun, 5, new SplittableRandom(5));
        LivenessDriver longRun = new LivenessDriver();
        busyHistory(longRun, 100, new SplittableRandom(5));

        int shortSize = Json.MAPPER.writeValueAsString(shortRun.state).length();
        int longSize = Json.MAPPER.writeValueAsString(longRun.state).length();
        System.out.printf("liveness state: %d bytes after %d steps, %d bytes after %d steps%n",
                shortSize, shortRun.step, longSize, longRun.step);
        assertThat(longSize).isLessThan(6_000).isLessThan(shortSize + 1_000);
    }

    @Test
    void aStateStoredWithAFieldSinceRemovedIsStillRead() throws Exception {
        // Older versions stored throughput.recordsSinceReset (never used, removed); changelogs still hold it.
        String json = Json.MAPPER.writeValueAsString(new LivenessState());
        String stored = json.replace("\"throughput\":{", "\"throughput\":{\"recordsSinceReset\":7,");
        assertThat(stored).isNotEqualTo(json);
        assertThat(Json.MAPPER.writeValueAsString(Json.MAPPER.readValue(stored, LivenessState.class)))
                .isEqualTo(json);
    }
}
