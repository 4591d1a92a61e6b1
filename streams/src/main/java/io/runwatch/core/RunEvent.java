package io.runwatch.core;

/**
 * A lifecycle event of a run: start (possibly resumed from a checkpoint), checkpoint saved, end.
 *
 * @param step   the step the event refers to; null when the trainer did not say
 * @param status for {@code end}: how the run ended (e.g. "completed", "failed")
 */
public record RunEvent(String run, RunEventType type, Long step, long timeMs, RunConfig config, String status) {

    public RunEvent {
        config = config == null ? RunConfig.EMPTY : config;
    }

    public static RunEvent checkpoint(String run, long step, long timeMs) {
        return new RunEvent(run, RunEventType.checkpoint, step, timeMs, RunConfig.EMPTY, null);
    }

    public static RunEvent start(String run, long timeMs, RunConfig config) {
        return new RunEvent(run, RunEventType.start, config.resumedFromStep(), timeMs, config, null);
    }

    public static RunEvent end(String run, long step, long timeMs, String status) {
        return new RunEvent(run, RunEventType.end, step, timeMs, RunConfig.EMPTY, status);
    }
}
