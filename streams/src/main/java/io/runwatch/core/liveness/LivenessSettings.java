package io.runwatch.core.liveness;

/** Knobs of the stall / slowdown / restart detectors. Built from {@code io.runwatch.config.Settings}. */
public record LivenessSettings(double stallFloorS) {

    public static LivenessSettings defaults() {
        return new LivenessSettings(120);
    }
}
