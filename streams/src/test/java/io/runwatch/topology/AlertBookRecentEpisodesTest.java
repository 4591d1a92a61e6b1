package io.runwatch.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.config.Settings;
import io.runwatch.core.alerts.AlertBook;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The alert book remembers the newest resolved episodes of a run (for the query endpoints), and no more. */
class AlertBookRecentEpisodesTest {
    private final Path stateDir = TopologyFixture.tempStateDir();
    private TopologyFixture fixture;

    @AfterEach
    void close() {
        fixture.close();
    }

    @Test
    void theNewestResolvedEpisodesAreKeptWithOnsetAndRollbackTarget() {
        fixture = new TopologyFixture(Settings.defaults(), RunwatchTopology.Mode.LIVE, stateDir);
        fixture.event("r", "{\"run\":\"r\",\"type\":\"checkpoint\",\"step\":1}", 0);
        int step = 2;
        for (int episode = 0; episode < AlertBook.RECENT + 3; episode++) {
            fixture.metric("r", "{\"run\":\"r\",\"step\":" + step++ + ",\"loss\":2.0}", 1_000L * step);
            fixture.metric("r", "{\"run\":\"r\",\"step\":" + step++ + ",\"loss\":NaN}", 1_000L * step);
            fixture.metric("r", "{\"run\":\"r\",\"step\":" + step++ + ",\"loss\":2.0}", 1_000L * step);
        }
        fixture.metric("r", "{\"run\":\"r\",\"step\":" + step + ",\"loss\":NaN}", 1_000L * step);
        AlertBook book = (AlertBook) fixture.driver.getKeyValueStore(AlertLifecycleProcessor.STORE).get("r");
        assertThat(book.recentlyResolved).hasSize(AlertBook.RECENT);
        AlertBook.ResolvedEpisode newest = book.recentlyResolved.getLast();
        assertThat(newest.id).isEqualTo("r/nonfinite/" + (step - 2));
        assertThat(newest.step).isEqualTo(step - 2);
        assertThat(newest.type).isEqualTo("nonfinite");
        assertThat(newest.rollbackToStep).isNotNull();
        assertThat(newest.resolvedAtMs).isGreaterThan(newest.firedAtMs);
        assertThat(book.recentlyResolved.getFirst().id).as("the oldest three are forgotten")
                .isEqualTo("r/nonfinite/" + (3 + 3 * 3));
        AlertBook.OpenEpisode open = book.open.get("r/nonfinite/" + step);
        assertThat(open.step).isEqualTo(step);
    }
}
