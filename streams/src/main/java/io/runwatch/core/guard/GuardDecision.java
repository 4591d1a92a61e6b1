package io.runwatch.core.guard;

import java.util.List;

/**
 * What the guard decided for one input: the inputs to process now, in order (the input itself, or held ones
 * released together with it, or none while it is held), and the held inputs refused as implausible.
 */
public record GuardDecision(List<GuardedInput> release, List<Refused> refused) {
    /** A refused input and exactly why. */
    public record Refused(GuardedInput input, String detail) {
    }
}
