package io.runwatch.contract;

/**
 * Why an input record was refused. {@code reason} is a short fixed word (a metric label, so bounded);
 * {@code detail} says exactly what was wrong, for the person reading the dead-letter topic.
 */
public record Rejection(String reason, String detail) {
    public static final String TOO_LARGE = "too_large";
    public static final String NOT_UTF8 = "not_utf8";
    public static final String MALFORMED_JSON = "malformed_json";
    public static final String NOT_AN_OBJECT = "not_an_object";
    public static final String MISSING_FIELD = "missing_field";
    public static final String WRONG_TYPE = "wrong_type";
    public static final String INVALID_VALUE = "invalid_value";
    /** A step that jumped implausibly far ahead of its run and was not confirmed (see StepJumpGuard). */
    public static final String IMPLAUSIBLE_STEP = "implausible_step";
}
