package io.runwatch.ingest;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;

/**
 * Decides whether a step line is new, a copy of a step already sent, or a rewind.
 *
 * <p>A copy is one record printed again by another rank (a different rank label), or printed again with the same
 * label (or none) right after the original: a progress bar redrawn, an unprefixed rank's copy. A step that comes
 * back with the same label after other output in between (a relaunch appended to the same file) is a rewind and is
 * sent again: the topology treats it as a restart. State is bounded: the last {@link #WINDOW} steps sent.
 */
final class StepFilter {
    /** Steps remembered for spotting copies; rank copies arrive within a few log lines of each other. */
    static final int WINDOW = 16;
    /** Unlabelled copies are at most this many distinct steps behind the newest... */
    static final int UNLABELLED_DISTANCE = 3;
    /** ...and at most this many other lines after the last record (a relaunch prints far more). */
    static final int UNLABELLED_GAP_LINES = 24;

    private record Sent(long step, String label) {
    }

    private final Deque<Sent> recent = new ArrayDeque<>(WINDOW);
    private long newest = -1;
    private int linesSinceSent;

    /** Every line that did not produce a step record. */
    void otherLine() {
        if (linesSinceSent < Integer.MAX_VALUE) {
            linesSinceSent++;
        }
    }

    /** True when a record for {@code step} should be sent; remembers it. */
    boolean admit(long step, String label) {
        if (newest >= 0 && step <= newest) {
            int distance = 0;
            for (Sent sent : recent) {
                if (sent.step == step) {
                    boolean otherRank = label != null && sent.label != null && !label.equals(sent.label);
                    boolean closeCopy = Objects.equals(label, sent.label) && distance < UNLABELLED_DISTANCE
                            && linesSinceSent <= UNLABELLED_GAP_LINES;
                    if (otherRank || closeCopy) {
                        linesSinceSent = 0;
                        return false;
                    }
                    break;
                }
                distance++;
            }
            recent.clear(); // a rewind: what was sent before belongs to the previous launch
        }
        if (recent.size() == WINDOW) {
            recent.removeLast();
        }
        recent.addFirst(new Sent(step, label));
        newest = step;
        linesSinceSent = 0;
        return true;
    }

    long newest() {
        return newest;
    }
}
