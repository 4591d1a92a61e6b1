package io.runwatch.config;

/**
 * One documented, range-checked setting. The key is what a properties file uses; the environment twin is
 * {@code RUNWATCH_} + the key upper-cased with dots and dashes turned into underscores.
 */
public record Setting(String key, Type type, String defaultValue, double min, double max, String doc) {

    public enum Type { STRING, INT, LONG, DOUBLE, BOOLEAN }

    public String envName() {
        return "RUNWATCH_" + key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** Parses and range-checks a raw value; throws IllegalArgumentException naming the setting. */
    public Object parse(String raw) {
        String value = raw.trim();
        try {
            return switch (type) {
                case STRING -> value;
                case BOOLEAN -> {
                    if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
                        throw new IllegalArgumentException("expected true or false");
                    }
                    yield Boolean.parseBoolean(value);
                }
                case INT -> checkRange(Integer.parseInt(value));
                case LONG -> checkRange(Long.parseLong(value));
                case DOUBLE -> checkRange(Double.parseDouble(value));
            };
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("setting " + key + "=" + raw + ": " + e.getMessage()
                    + (type == Type.STRING || type == Type.BOOLEAN ? "" : " (allowed " + range() + ")"), e);
        }
    }

    private <N extends Number> N checkRange(N number) {
        double d = number.doubleValue();
        if (Double.isNaN(d) || d < min || d > max) {
            throw new IllegalArgumentException("out of range");
        }
        return number;
    }

    /** Human-readable range, for the README table. */
    public String range() {
        if (type == Type.STRING || type == Type.BOOLEAN) {
            return "";
        }
        return "[" + fmt(min) + ", " + fmt(max) + "]";
    }

    private static String fmt(double d) {
        if (d == Double.MAX_VALUE || d == Long.MAX_VALUE || d == Integer.MAX_VALUE) {
            return "∞";
        }
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
