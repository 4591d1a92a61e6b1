package io.runwatch.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.time.Instant;
import java.util.List;

/**
 * The JSON the query endpoints answer with: views built from the state stores, not the state objects themselves
 * (those change with the detectors; these are the documented interface, README "Queries"). Field names are
 * snake_case; every field is always present, {@code null} when not known; times are epoch milliseconds plus the
 * same instant in ISO-8601.
 */
public final class QueryViews {
    /** Reads and writes the views: snake_case names, nulls kept so every answer has the same shape. */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private QueryViews() {
    }

    /**
     * One alert episode as the alert lifecycle holds it: open ({@code state} {@code firing}) or one of the run's
     * newest resolved ones. {@code id} is the {@code runwatch.alerts} record's id.
     */
    public record Episode(String id, String run, String type, String severity, String state, Long step,
                          Long rollbackToStep, Long firedAtMs, String firedAt, Long resolvedAtMs,
                          String resolvedAt) {
    }

    /** A line of {@code GET /runs}. */
    public record RunListItem(String run, int partition, Long lastStep, Long lastRecordTimeMs,
                              String lastRecordTime, List<Episode> openAlerts) {
    }

    /** The training-health summary of a run ({@code GET /runs/{id}}). */
    public record Training(Long firstStep, Long lastStep, Long lastHealthyStep, Long lastCheckpointStep,
                           Double lossLevel, Double lossNoise, Long lossSamples, Long lossSpikesTotal,
                           Double lossSpikeRate, Long skippedStepsTotal, Double skippedStepFraction,
                           String precision) {
    }

    /** Liveness of a run: what the stall, throughput and restart detectors see now. */
    public record Liveness(String status, Long position, Long lastAliveMs, String lastAlive, Double silenceS,
                           Double stallDeadlineS, Double throughputRatio, Double goodputRatio, Long restartsTotal,
                           Long lostSteps) {
    }

    /** The newest evaluated checkpoint of one (benchmark, metric) and how its noise was classed. */
    public record Evaluation(String benchmark, String metric, Long step, Double score, Double stderr,
                             Integer seeds, Long checkpointsSeen, String noiseClass,
                             String openRegressionId) {
    }

    /** {@code GET /runs/{id}}. */
    public record RunDetail(String run, String servedBy, int partition, boolean stale, Long lastRecordTimeMs,
                            String lastRecordTime, Training training, Liveness liveness,
                            List<Episode> openEpisodes, List<Episode> recentEpisodes,
                            List<Evaluation> evaluations) {
    }

    /** An instance that did not answer a fan-out, and why. */
    public record Unreachable(String instance, String error) {
    }

    /** What one instance answers for its own partitions ({@code ?local=true}). */
    public record LocalRuns(String instance, List<Integer> partitions, List<RunListItem> runs) {
    }

    public record LocalAlerts(String instance, List<Integer> partitions, List<Episode> alerts) {
    }

    /**
     * {@code GET /runs}: every instance's answer merged. {@code complete} is false when an instance did not answer
     * or a partition was not answered by anyone (moving in a rebalance): the list then lacks those runs.
     */
    public record RunList(boolean complete, int partitions, List<Integer> missingPartitions,
                          List<Unreachable> unreachable, List<RunListItem> runs) {
    }

    /** {@code GET /alerts}: like {@link RunList}. */
    public record AlertList(boolean complete, int partitions, List<Integer> missingPartitions,
                            List<Unreachable> unreachable, List<Episode> alerts) {
    }

    /** Every error answer: what went wrong, and (503) when to try again. */
    public record Error(String error, String run, String servedBy) {
    }

    /**
     * 404 of {@code GET /runs/{id}}: no instance holds state for the run. {@code searchedPartitions}: the partitions
     * whose stores were read (all of them, or the answer would have been 503).
     */
    public record RunNotFound(String error, String run, String servedBy, List<Integer> searchedPartitions) {
    }

    static String iso(Long epochMs) {
        return epochMs == null ? null : Instant.ofEpochMilli(epochMs).toString();
    }

    static Double finite(double value) {
        return Double.isFinite(value) ? value : null;
    }
}
