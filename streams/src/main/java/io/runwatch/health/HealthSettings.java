package io.runwatch.health;

/** The thresholds of runwatch's own health checks, in milliseconds (see {@code Settings}, health.*). */
public record HealthSettings(long streamsGraceMs, long brokerUnreachableMs, int threadReplacementsMax,
                             long threadReplacementsWindowMs, long stuckPartitionMs, long punctuatorStaleMs,
                             long punctuatorWedgedMs) {
}
