package io.runwatch.core;

/** What an alert costs the person who receives it. Lower-case names are the wire format. */
public enum Severity {
    /** Wake someone up: divergence, NaN, a hung run, a restart storm. */
    page,
    /** Someone should look during working hours. */
    ticket,
    /** Recorded and counted, routed nowhere. */
    info;

    public boolean isAtLeast(Severity other) {
        return ordinal() <= other.ordinal();
    }
}
