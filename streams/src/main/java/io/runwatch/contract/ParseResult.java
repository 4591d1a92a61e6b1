package io.runwatch.contract;

import io.runwatch.core.RunInput;

/** Either a valid input or the reason it was refused. */
public record ParseResult(RunInput input, Rejection rejection) {

    static ParseResult ok(RunInput input) {
        return new ParseResult(input, null);
    }

    static ParseResult rejected(String reason, String detail) {
        return new ParseResult(null, new Rejection(reason, detail));
    }

    public boolean isOk() {
        return input != null;
    }
}
