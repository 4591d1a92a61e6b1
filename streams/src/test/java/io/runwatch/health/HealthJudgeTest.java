package io.runwatch.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;

class HealthJudgeTest {
    private static final HealthSettings SETTINGS = new HealthSettings(60_000, 15_000, 2, 600_000, 120_000, 60_000,
            600_000);
    private static final long T0 = 1_000_000;

    private static HealthJudge running() {
        HealthJudge judge = new HealthJudge(SETTINGS, T0);
        judge.streams(State.RUNNING, 1, true, T0 + 1_000);
        judge.punctuated(T0 + 1_000);
        judge.brokerProbe(null, T0 + 1_000);
        return judge;
    }

    private static HealthCheck check(HealthReport report, String name) {
        return java.util.stream.Stream.concat(report.liveness().stream(), report.readiness().stream())
                .filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aRunningMonitorIsLiveAndReadyWithEveryCheckListed() {
        HealthReport report = running().evaluate(T0 + 2_000);
        assertThat(report.live()).isTrue();
        assertThat(report.ready()).isTrue();
        assertThat(report.liveness()).extracting(HealthCheck::name)
                .containsExactly(HealthJudge.STREAMS_ALIVE, HealthJudge.PUNCTUATOR_NOT_WEDGED);
        assertThat(report.readiness()).extracting(HealthCheck::name).containsExactly(HealthJudge.STREAMS_RUNNING,
                HealthJudge.BROKER_REACHABLE, HealthJudge.STREAM_THREADS_STABLE, HealthJudge.PARTITIONS_PROGRESSING,
                HealthJudge.PUNCTUATOR_RECENT);
    }

    @Test
    void notRunningIsReadyWithinTheGraceAndNotReadyAfterItWithTheTimeItFlipped() {
        HealthJudge judge = running();
        judge.streams(State.REBALANCING, 1, true, T0 + 10_000);
        judge.brokerProbe(null, T0 + 70_000);
        assertThat(judge.evaluate(T0 + 70_000).ready()).isTrue();
        HealthReport late = judge.evaluate(T0 + 70_001);
        assertThat(late.ready()).isFalse();
        assertThat(late.live()).as("a long rebalance is no reason to restart").isTrue();
        HealthCheck streams = check(late, HealthJudge.STREAMS_RUNNING);
        assertThat(streams.detail()).isEqualTo("Kafka Streams REBALANCING for 60 s (grace 60 s)");
        assertThat(streams.sinceMs()).isEqualTo(T0 + 70_001);
        assertThat(check(judge.evaluate(T0 + 80_000), HealthJudge.STREAMS_RUNNING).sinceMs())
                .as("since stays at the flip").isEqualTo(T0 + 70_001);
        judge.streams(State.RUNNING, 1, true, T0 + 81_000);
        judge.punctuated(T0 + 81_000);
        assertThat(judge.evaluate(T0 + 81_000).ready()).isTrue();
    }

    @Test
    void startUpCountsAgainstTheGrace() {
        HealthJudge judge = new HealthJudge(SETTINGS, T0);
        judge.streams(State.REBALANCING, 1, false, T0);
        judge.brokerProbe(null, T0 + 60_000);
        assertThat(judge.evaluate(T0 + 60_000).ready()).isTrue();
        judge.brokerProbe(null, T0 + 61_000);
        assertThat(judge.evaluate(T0 + 61_000).ready()).isFalse();
    }

    @Test
    void anUnreachableBrokerIsNotReadyAfterTheLimitAndSaysWhy() {
        HealthJudge judge = running();
        judge.brokerProbe("TimeoutException: timed out waiting for a node", T0 + 5_000);
        assertThat(judge.evaluate(T0 + 16_000).ready()).isTrue();
        HealthReport report = judge.evaluate(T0 + 16_001);
        assertThat(report.ready()).isFalse();
        assertThat(check(report, HealthJudge.BROKER_REACHABLE).detail()).isEqualTo(
                "no answer from the cluster for 15 s (limit 15 s): TimeoutException: timed out waiting for a node");
        judge.brokerProbe(null, T0 + 40_000);
        assertThat(judge.evaluate(T0 + 40_000).ready()).isTrue();
    }

    @Test
    void threadReplacementsBeyondTheLimitInTheWindowAreNotReadyAndAgeOut() {
        HealthJudge judge = running();
        judge.threadReplaced(T0 + 10_000);
        judge.threadReplaced(T0 + 20_000);
        judge.brokerProbe(null, T0 + 30_000);
        assertThat(judge.evaluate(T0 + 30_000).ready()).isTrue();
        judge.threadReplaced(T0 + 30_000);
        assertThat(judge.evaluate(T0 + 30_000).ready()).isFalse();
        judge.brokerProbe(null, T0 + 610_001);
        judge.punctuated(T0 + 610_001);
        assertThat(judge.evaluate(T0 + 610_001).ready()).as("the first replacement left the window").isTrue();
    }

    @Test
    void aPartitionWithRecordsBehindAnUnmovedCommitIsStuckButAnIdleOneIsNot() {
        HealthJudge judge = running();
        judge.partitions(Map.of("runwatch.metrics-0", new HealthJudge.PartitionPosition(42, 59),
                "runwatch.events-0", new HealthJudge.PartitionPosition(7, 7)), T0 + 1_000);
        for (long t = T0 + 11_000; t <= T0 + 121_000; t += 10_000) {
            judge.partitions(Map.of("runwatch.metrics-0", new HealthJudge.PartitionPosition(42, 59),
                    "runwatch.events-0", new HealthJudge.PartitionPosition(7, 7)), t);
            judge.brokerProbe(null, t);
            judge.punctuated(t);
        }
        assertThat(judge.evaluate(T0 + 121_000).ready()).isTrue();
        HealthReport report = judge.evaluate(T0 + 121_001);
        assertThat(report.ready()).isFalse();
        assertThat(check(report, HealthJudge.PARTITIONS_PROGRESSING).detail())
                .isEqualTo("stuck: runwatch.metrics-0 (offset 42 for 120 s, 17 records behind)");
        // It moves: ready again. A revoked partition is forgotten.
        judge.partitions(Map.of("runwatch.metrics-0", new HealthJudge.PartitionPosition(43, 59)), T0 + 122_000);
        assertThat(judge.evaluate(T0 + 122_000).ready()).isTrue();
        judge.partitions(Map.of(), T0 + 400_000);
        judge.brokerProbe(null, T0 + 400_000);
        judge.punctuated(T0 + 400_000);
        assertThat(check(judge.evaluate(T0 + 400_000), HealthJudge.PARTITIONS_PROGRESSING).detail())
                .isEqualTo("0 input partition(s) assigned, none stuck");
    }

    @Test
    void aSilentPunctuatorIsNotReadyThenWedgedButOnlyWhileTheBrokerAnswers() {
        HealthJudge judge = running();
        judge.brokerProbe(null, T0 + 61_001);
        assertThat(judge.evaluate(T0 + 61_000).ready()).isTrue();
        HealthReport stale = judge.evaluate(T0 + 61_001);
        assertThat(stale.ready()).isFalse();
        assertThat(stale.live()).isTrue();
        judge.brokerProbe(null, T0 + 601_001);
        assertThat(judge.evaluate(T0 + 601_001).live()).as("wedged for 600 s with the broker answering").isFalse();
        HealthJudge outage = running();
        assertThat(outage.evaluate(T0 + 601_001).live()).as("a broker outage is no reason to restart").isTrue();
        HealthJudge idle = new HealthJudge(SETTINGS, T0);
        idle.streams(State.RUNNING, 1, false, T0);
        idle.brokerProbe(null, T0 + 700_000);
        assertThat(idle.evaluate(T0 + 700_000).ready()).as("no task, no punctuator expected").isTrue();
    }

    @Test
    void streamsInErrorOrWithoutThreadsIsNotLive() {
        HealthJudge judge = running();
        judge.streams(State.ERROR, 0, false, T0 + 2_000);
        HealthReport error = judge.evaluate(T0 + 2_000);
        assertThat(error.live()).isFalse();
        assertThat(error.ready()).isFalse();
        assertThat(check(error, HealthJudge.STREAMS_ALIVE).detail()).isEqualTo("Kafka Streams is in ERROR");
        HealthJudge threadless = running();
        threadless.streams(State.RUNNING, 0, false, T0 + 2_000);
        assertThat(threadless.evaluate(T0 + 2_000).live()).isFalse();
    }
}
