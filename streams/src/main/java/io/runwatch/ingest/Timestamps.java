package io.runwatch.ingest;

import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the wall-clock timestamp a logger put near the start of a line and returns it as ISO-8601 (UTC instant).
 * Log timestamps rarely carry a zone; those without one are read in the zone given to the parser (UTC unless the
 * tail command says otherwise). A timestamp without a year ({@code 10/30 22:18:02}, mmengine) is not a time.
 */
final class Timestamps {
    /** Only the head of a line is searched: a date later in the line is data (a path, a run name). */
    private static final int SEARCH_CHARS = 72;
    private static final Pattern YEAR_FIRST = Pattern.compile(
            "(\\d{4})[-/](\\d{2})[-/](\\d{2})[ T](\\d{2}):(\\d{2}):(\\d{2})(?:[.,](\\d{1,9}))?"
                    + "(Z|[+-]\\d{2}:?\\d{2})?");
    private static final Pattern US_DATE = Pattern.compile(
            "(\\d{2})/(\\d{2})/(\\d{4}) (\\d{2}):(\\d{2}):(\\d{2})(?:[.,](\\d{1,9}))?");

    private Timestamps() {
    }

    static String find(String line, ZoneId zone) {
        if (line == null || line.isEmpty()) {
            return null;
        }
        String head = line.length() > SEARCH_CHARS ? line.substring(0, SEARCH_CHARS) : line;
        if (!hasDigitPair(head)) {
            return null;
        }
        try {
            Matcher m = YEAR_FIRST.matcher(head);
            if (m.find()) {
                return toIso(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                        m, 4, m.group(7), m.group(8), zone);
            }
            m = US_DATE.matcher(head);
            if (m.find()) {
                return toIso(Integer.parseInt(m.group(3)), Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                        m, 4, m.group(7), null, zone);
            }
        } catch (DateTimeException | NumberFormatException e) {
            return null;
        }
        return null;
    }

    private static String toIso(int year, int month, int day, Matcher m, int hourGroup, String fraction,
            String offset, ZoneId zone) {
        int nanos = 0;
        if (fraction != null) {
            String padded = (fraction + "000000000").substring(0, 9);
            nanos = Integer.parseInt(padded);
        }
        LocalDateTime local = LocalDateTime.of(year, month, day, Integer.parseInt(m.group(hourGroup)),
                Integer.parseInt(m.group(hourGroup + 1)), Integer.parseInt(m.group(hourGroup + 2)), nanos);
        if (offset != null) {
            ZoneOffset zoneOffset = ZoneOffset.of(offset.length() == 5 && offset.charAt(3) != ':'
                    ? offset.substring(0, 3) + ":" + offset.substring(3) : offset);
            return OffsetDateTime.of(local, zoneOffset).toInstant().toString();
        }
        return local.atZone(zone).toInstant().toString();
    }

    /** Cheap pre-check: a timestamp needs "dd:dd". */
    private static boolean hasDigitPair(String head) {
        int colon = head.indexOf(':');
        while (colon > 0 && colon + 1 < head.length()) {
            if (Character.isDigit(head.charAt(colon - 1)) && Character.isDigit(head.charAt(colon + 1))) {
                return true;
            }
            colon = head.indexOf(':', colon + 1);
        }
        return false;
    }
}
