package io.runwatch.topology;

import io.runwatch.core.RunInput;

/** Output of the parse step: a valid input, or a dead letter. */
public record Parsed(RunInput input, DeadLetter deadLetter) {
    public boolean isOk() {
        return input != null;
    }
}
