package io.runwatch.ingest;

/**
 * Reads the numbers trainers print: exponents ({@code 6.7E+00}), thousands separators ({@code 7,282},
 * {@code 1,000.13}), human suffixes ({@code 11.5K}, {@code 85.8G}, {@code 1.2B}), bare {@code nan}/{@code NAN}/
 * {@code inf}, and placeholders ({@code N/A}, {@code None}, {@code n/a}) that mean "no value". Never throws.
 */
final class Num {
    private Num() {
    }

    /** The value of {@code text}, NaN/±Infinity for the non-finite spellings, or null when it is not a number. */
    static Double parse(String text) {
        if (text == null) {
            return null;
        }
        int start = 0;
        int end = text.length();
        while (start < end && isSpaceOrQuote(text.charAt(start))) {
            start++;
        }
        while (end > start && (isSpaceOrQuote(text.charAt(end - 1)) || text.charAt(end - 1) == ',')) {
            end--;
        }
        if (start >= end) {
            return null;
        }
        String s = start == 0 && end == text.length() ? text : text.substring(start, end);
        char first = s.charAt(0);
        if (!(first >= '0' && first <= '9' || first == '.')) {
            Double special = nonFinite(s);
            if (special != null) {
                return special;
            }
        }
        double multiplier = 1;
        char last = s.charAt(s.length() - 1);
        switch (last) {
            case 'K', 'k' -> multiplier = 1e3;
            case 'M' -> multiplier = 1e6;
            case 'G', 'B' -> multiplier = 1e9;
            case 'T' -> multiplier = 1e12;
            default -> {
            }
        }
        if (multiplier != 1) {
            s = s.substring(0, s.length() - 1);
        }
        if (s.indexOf(',') >= 0) {
            if (!hasThousandsGroups(s)) {
                return null;
            }
            s = s.replace(",", "");
        }
        if (!isDecimal(s)) {
            return null;
        }
        try {
            return Double.parseDouble(s) * multiplier;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A step number: an integer ≥ 0, also when printed as {@code 188.0}, {@code 1.000} or {@code 2e+3}. */
    static long step(String text) {
        Double v = parse(text);
        if (v == null || !Double.isFinite(v) || v < 0 || v != Math.rint(v) || v > 9.0e15) {
            return -1;
        }
        return v.longValue();
    }

    /** A duration in seconds from {@code 285ms}, {@code 22.151s}, {@code 1.2 s}; a bare number is ms if {@code bareIsMs}. */
    static Double seconds(String text, boolean bareIsMs) {
        if (text == null) {
            return null;
        }
        String s = text.trim();
        boolean ms = bareIsMs;
        if (s.endsWith("ms")) {
            ms = true;
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("s")) {
            ms = false;
            s = s.substring(0, s.length() - 1);
        }
        Double v = parse(s);
        return v == null ? null : ms ? v / 1000.0 : v;
    }

    private static Double nonFinite(String s) {
        if (s.length() > 9) {
            return null;
        }
        switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "nan", "+nan", "-nan":
                return Double.NaN;
            case "inf", "+inf", "infinity", "+infinity":
                return Double.POSITIVE_INFINITY;
            case "-inf", "-infinity":
                return Double.NEGATIVE_INFINITY;
            default:
                return null;
        }
    }

    /** Plain decimal with optional sign, point and exponent: what Double.parseDouble should see (no hex, no 'd'). */
    static boolean isDecimal(String s) {
        int i = 0;
        int n = s.length();
        if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            i++;
        }
        int digits = 0;
        while (i < n && isDigit(s.charAt(i))) {
            i++;
            digits++;
        }
        if (i < n && s.charAt(i) == '.') {
            i++;
            while (i < n && isDigit(s.charAt(i))) {
                i++;
                digits++;
            }
        }
        if (digits == 0) {
            return false;
        }
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            int expDigits = 0;
            while (i < n && isDigit(s.charAt(i))) {
                i++;
                expDigits++;
            }
            if (expDigits == 0) {
                return false;
            }
        }
        return i == n;
    }

    /** {@code 1,234}, {@code 12,345,678.9}: commas only between groups of exactly three digits. */
    private static boolean hasThousandsGroups(String s) {
        int dot = s.indexOf('.');
        String whole = dot < 0 ? s : s.substring(0, dot);
        if (whole.startsWith("-") || whole.startsWith("+")) {
            whole = whole.substring(1);
        }
        String[] groups = whole.split(",", -1);
        if (groups[0].isEmpty() || groups[0].length() > 3) {
            return false;
        }
        for (int g = 1; g < groups.length; g++) {
            if (groups[g].length() != 3) {
                return false;
            }
        }
        return dot < 0 || s.indexOf(',', dot) < 0;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isSpaceOrQuote(char c) {
        return c == ' ' || c == '\t' || c == '"' || c == '\'';
    }
}
