package io.runwatch.core.training;

import static io.runwatch.core.training.TrainingTestRuns.curve;
import static io.runwatch.core.training.TrainingTestRuns.point;
import static io.runwatch.core.training.TrainingTestRuns.spike;
import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.contract.Json;
import io.runwatch.core.Alert;
import io.runwatch.core.RunConfig;
import io.runwatch.core.RunEvent;
import io.runwatch.core.training.TrainingTestRuns.Driver;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The state is stored as JSON in a changelogged store: it must round-trip exactly and stay small. */
class TrainingStateJsonTest {

    /** A run with every kind of memory filled: groups, checkpoints, snapshots, an open spike and a rewind. */
    private static Driver busyRun(int points) {
        double[] loss = curve(points, 1, 0.006, 31);
        spike(loss, points - 5, 0.4, 30, 0, 0);
        Driver d = new Driver();
        d.event(RunEvent.start(TrainingTestRuns.RUN, 0, new RunConfig(null, 1e-8, null, null, null, null, null)));
        for (int i = 0; i < points; i++) {
            long step = i + 1;
            d.metric(TrainingTestRuns.withGroups(point(step, loss[i]).withGradNorm(0.5 + 0.01 * (i % 7)), 0.2,
                    0.3));
            if (step % 100 == 0) {
                d.event(RunEvent.checkpoint(TrainingTestRuns.RUN, step, step * 1000 + 1));
            }
        }
        return d;
    }

    @Test
    void roundTripContinuesDetectionIdentically() throws Exception {
        Driver original = busyRun(3000);
        String json = Json.MAPPER.writeValueAsString(original.state);
        Driver restored = new Driver();
        restored.state = Json.MAPPER.readValue(json, TrainingState.class);

        assertThat(Json.MAPPER.writeValueAsString(restored.state)).isEqualTo(json);
        double[] more = curve(3100, 1, 0.006, 32);
        List<Alert> fromOriginal = new ArrayList<>();
        List<Alert> fromRestored = new ArrayList<>();
        for (int i = 3000; i < 3100; i++) {
            fromOriginal.addAll(original.metric(point(i + 1, more[i] + Math.log(1.4))));
            fromRestored.addAll(restored.metric(point(i + 1, more[i] + Math.log(1.4))));
        }
        fromOriginal.addAll(original.event(RunEvent.start(TrainingTestRuns.RUN, 9, RunConfig.resumedFrom(2900))));
        fromRestored.addAll(restored.event(RunEvent.start(TrainingTestRuns.RUN, 9, RunConfig.resumedFrom(2900))));

        assertThat(fromOriginal).isNotEmpty();
        assertThat(fromRestored).isEqualTo(fromOriginal);
    }

    @Test
    void serializedSizeIsAFewKbWhateverTheRunLength() throws Exception {
        int shortRun = Json.MAPPER.writeValueAsString(busyRun(2_000).state).length();
        int longRun = Json.MAPPER.writeValueAsString(busyRun(50_000).state).length();
        System.out.printf("TrainingState JSON: %d bytes after 2,000 steps, %d bytes after 50,000 steps%n",
                shortRun, longRun);
        assertThat(longRun).isLessThan(8_000);
        assertThat(Math.abs(longRun - shortRun)).isLessThan(600);
    }
}
