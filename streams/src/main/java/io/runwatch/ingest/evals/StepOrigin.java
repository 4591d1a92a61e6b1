package io.runwatch.ingest.evals;

/**
 * A checkpoint step and where it was found.
 *
 * @param detail what exactly said so, for the user: {@code revision=step1000}, {@code file name 160m_step0.json}
 */
public record StepOrigin(StepSource source, long step, String detail) {

    public static final StepOrigin NONE = new StepOrigin(StepSource.NONE, -1, "no step in the file or its path");

    public boolean found() {
        return source != StepSource.NONE;
    }

    @Override
    public String toString() {
        return found() ? "step " + step + " from " + source.label() + " (" + detail + ")" : detail;
    }
}
