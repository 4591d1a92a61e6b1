package io.runwatch.core.liveness;

import java.util.Locale;

/** Number formatting for alert summaries: what a person reads at 3 a.m. */
final class Text {
    private Text() {
    }

    /** "45 s", "12.5 min", "3.2 h". */
    static String duration(double seconds) {
        if (seconds < 90) {
            return String.format(Locale.ROOT, "%.0f s", seconds);
        }
        if (seconds < 5_400) {
            return String.format(Locale.ROOT, "%.1f min", seconds / 60);
        }
        return String.format(Locale.ROOT, "%.1f h", seconds / 3_600);
    }

    /** Three significant digits, e.g. "1.97e+05" or "0.213". */
    static String number(double value) {
        return String.format(Locale.ROOT, "%.3g", value);
    }

    static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.0f%%", fraction * 100);
    }
}
