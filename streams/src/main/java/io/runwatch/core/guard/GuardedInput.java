package io.runwatch.core.guard;

import io.runwatch.core.RunInput;

/**
 * An input together with where it was read, so that a held record refused later can still be traced to its
 * source partition and offset.
 */
public record GuardedInput(RunInput input, int sourcePartition, long sourceOffset) {
    long step() {
        return input.metric().step();
    }
}
