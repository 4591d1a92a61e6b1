package io.runwatch.contract;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runwatch.core.EvalPoint;
import io.runwatch.core.GroupStats;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunConfig;
import io.runwatch.core.RunEvent;
import io.runwatch.core.RunEventType;
import io.runwatch.core.RunInput;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Enforces the input contract (see README "Input contract"): turns the bytes of one record of
 * {@code runwatch.metrics}, {@code runwatch.evals} or {@code runwatch.events} into a {@link RunInput}, or says
 * precisely why not. Never throws on bad input.
 */
public final class InputParser {
    public static final int MAX_RUN_ID_LENGTH = 200;
    /** Benchmark, metric, group, capability, seed and status: label values and summary text, so bounded. */
    public static final int MAX_NAME_LENGTH = 200;
    /** Exclusive upper bound of a step: every step is exact as a double (and in JavaScript, Python's json). */
    public static final long MAX_STEP_EXCLUSIVE = 1L << 53;
    /** Object/array depth; the contract needs 3 (record → groups → group), the rest is headroom. */
    public static final int MAX_NESTING_DEPTH = 8;
    /** Parameter groups in one record: each becomes gauge series, so a record must not bring thousands. */
    public static final int MAX_GROUPS_PER_RECORD = 64;
    /** Numeric extras kept per metrics record (the first ones, with names of at most MAX_NAME_LENGTH). */
    public static final int MAX_EXTRAS_PER_RECORD = 256;
    /** Latest accepted time: 9999-12-31T23:59:59.999Z. Later values are garbage, not a future. */
    private static final long MAX_TIME_MS = 253_402_300_799_999L;
    private static final int PREVIEW_CHARS = 60;

    /**
     * Input JSON, read strictly: one object and nothing after it, no duplicate keys, bounded nesting; Python's
     * bare NaN/Infinity tokens allowed. Separate from {@link Json#MAPPER}, which reads runwatch's own state.
     */
    private static final ObjectMapper STRICT = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
                    .build())
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final Set<String> METRIC_FIELDS = Set.of("run", "step", "time", "loss", "grad_norm", "lr",
            "tokens_per_s", "step_time_s", "tokens", "loss_scale", "val_loss", "groups", "expect_next_within_s",
            "skipped_steps");
    private static final Set<String> LOSS_LIKE_METRICS = Set.of("loss", "ppl", "perplexity", "bpb", "ce",
            "ce_loss", "nll", "bits_per_byte");

    private final int maxRecordBytes;

    public InputParser(int maxRecordBytes) {
        this.maxRecordBytes = maxRecordBytes;
    }

    /** Which input topic a record came from decides its schema. */
    public enum Kind { METRICS, EVALS, EVENTS }

    public ParseResult parse(Kind kind, byte[] bytes, long recordTimestampMs) {
        if (bytes == null || bytes.length == 0) {
            return ParseResult.rejected(Rejection.MALFORMED_JSON, "empty record");
        }
        if (bytes.length > maxRecordBytes) {
            return ParseResult.rejected(Rejection.TOO_LARGE,
                    "record of " + bytes.length + " bytes exceeds the limit of " + maxRecordBytes);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return ParseResult.rejected(Rejection.NOT_UTF8, "record is not valid UTF-8");
        }
        JsonNode node;
        try {
            node = STRICT.readTree(text);
        } catch (JsonProcessingException e) {
            return ParseResult.rejected(Rejection.MALFORMED_JSON, e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            return ParseResult.rejected(Rejection.NOT_AN_OBJECT, "expected a JSON object");
        }
        try {
            Fields fields = new Fields((ObjectNode) node);
            return switch (kind) {
                case METRICS -> ParseResult.ok(RunInput.of(metric(fields, recordTimestampMs)));
                case EVALS -> ParseResult.ok(RunInput.of(eval(fields, recordTimestampMs)));
                case EVENTS -> ParseResult.ok(RunInput.of(event(fields, recordTimestampMs)));
            };
        } catch (InvalidField e) {
            return ParseResult.rejected(e.reason, e.getMessage());
        }
    }

    private MetricPoint metric(Fields f, long recordTimestampMs) {
        String run = f.runId();
        long step = f.step(true);
        long time = f.time(recordTimestampMs);
        Map<String, GroupStats> groups = new LinkedHashMap<>();
        JsonNode groupsNode = f.node.get("groups");
        if (groupsNode != null && !groupsNode.isNull()) {
            if (!groupsNode.isObject()) {
                throw new InvalidField(Rejection.WRONG_TYPE, "groups must be an object of group name → stats");
            }
            if (groupsNode.size() > MAX_GROUPS_PER_RECORD) {
                throw new InvalidField(Rejection.INVALID_VALUE, "groups has " + groupsNode.size()
                        + " parameter groups; at most " + MAX_GROUPS_PER_RECORD + " per record");
            }
            Iterator<Map.Entry<String, JsonNode>> it = groupsNode.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> group = it.next();
                checkLabel("group name", group.getKey());
                if (!group.getValue().isObject()) {
                    throw new InvalidField(Rejection.WRONG_TYPE, "groups." + group.getKey() + " must be an object");
                }
                Fields g = new Fields((ObjectNode) group.getValue());
                String prefix = "groups." + group.getKey() + ".";
                groups.put(group.getKey(), new GroupStats(g.number("grad_norm", prefix), g.number(
                        "update_rms_over_lr", prefix), g.number("param_norm", prefix)));
            }
        }
        Map<String, Double> extras = new HashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = f.node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> field = it.next();
            if (!METRIC_FIELDS.contains(field.getKey()) && extras.size() < MAX_EXTRAS_PER_RECORD
                    && labelProblem(field.getKey()) == null) {
                Double extra = numberOrNull(field.getValue());
                if (extra != null) {
                    extras.put(field.getKey(), extra);
                }
            }
        }
        return new MetricPoint(run, step, time, f.number("loss", ""), f.number("grad_norm", ""),
                f.number("lr", ""), f.number("tokens_per_s", ""), f.number("step_time_s", ""),
                f.number("tokens", ""), f.number("loss_scale", ""), f.number("val_loss", ""),
                f.nonNegative("expect_next_within_s"), groups, extras, f.nonNegative("skipped_steps"));
    }

    private EvalPoint eval(Fields f, long recordTimestampMs) {
        String run = f.runId();
        long step = f.step(true);
        String benchmark = f.requiredLabel("benchmark");
        Double value = f.number("value", "");
        if (value == null) {
            throw new InvalidField(Rejection.MISSING_FIELD, "value is required");
        }
        if (!Double.isFinite(value)) {
            throw new InvalidField(Rejection.INVALID_VALUE, "value must be finite, got " + value);
        }
        String metric = f.optionalLabel("metric");
        if (metric == null || metric.isEmpty()) {
            metric = "acc";
        }
        Double n = f.nonNegative("n");
        Boolean higherIsBetter = f.optionalBoolean("higher_is_better");
        boolean higher = higherIsBetter != null ? higherIsBetter : !LOSS_LIKE_METRICS.contains(
                metric.toLowerCase(Locale.ROOT));
        Double tokens = f.nonNegative("tokens");
        return new EvalPoint(run, step, benchmark, metric, value, f.nonNegative("stderr"),
                n == null ? null : (int) Math.round(n), f.optionalText("seed"), f.optionalLabel("capability"),
                tokens == null ? null : tokens.longValue(), f.time(recordTimestampMs), higher);
    }

    private RunEvent event(Fields f, long recordTimestampMs) {
        String run = f.runId();
        String typeName = f.requiredString("type");
        RunEventType type;
        try {
            type = RunEventType.valueOf(typeName.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidField(Rejection.INVALID_VALUE,
                    "type must be start, checkpoint or end, got " + preview(typeName));
        }
        Long step = f.node.hasNonNull("step") ? f.step(false) : null;
        if (type == RunEventType.checkpoint && step == null) {
            throw new InvalidField(Rejection.MISSING_FIELD, "step is required on a checkpoint event");
        }
        RunConfig config = RunConfig.EMPTY;
        JsonNode configNode = f.node.get("config");
        if (configNode != null && !configNode.isNull()) {
            if (!configNode.isObject()) {
                throw new InvalidField(Rejection.WRONG_TYPE, "config must be an object");
            }
            Fields c = new Fields((ObjectNode) configNode);
            Long resumed = c.step("resumed_from_step");
            Double total = c.nonNegative("total_steps");
            Double warmup = c.nonNegative("warmup_steps");
            Map<String, Object> extras = new HashMap<>();
            configNode.fields().forEachRemaining(e -> {
                if (e.getValue().isValueNode()) {
                    extras.put(e.getKey(), e.getValue().isNumber() ? e.getValue().doubleValue()
                            : e.getValue().asText());
                }
            });
            config = new RunConfig(c.nonNegative("num_params"), c.nonNegative("adam_eps"), c.nonNegative("lr_max"),
                    total == null ? null : total.longValue(), warmup == null ? null : warmup.longValue(),
                    resumed, extras, precision(c.optionalLabel("precision")));
        }
        if (type == RunEventType.start && step == null) {
            step = config.resumedFromStep();
        }
        return new RunEvent(run, type, step, f.time(recordTimestampMs), config, f.optionalLabel("status"));
    }

    /**
     * The declared training precision, lower-cased; the spellings trainers use for the same thing (Lightning's
     * {@code 16-mixed}, PyTorch's {@code float16}) are accepted, anything else is refused: a typo must not
     * silently turn an fp16 run's routine skipped steps into pages.
     */
    private static String precision(String declared) {
        if (declared == null) {
            return null;
        }
        String p = declared.trim().toLowerCase(Locale.ROOT).replaceFirst("-(mixed|true)$", "");
        String known = switch (p) {
            case "fp16", "float16", "half", "16" -> "fp16";
            case "bf16", "bfloat16" -> "bf16";
            case "fp32", "float32", "32", "tf32" -> "fp32";
            case "fp8", "float8" -> "fp8";
            default -> null;
        };
        if (known == null) {
            throw new InvalidField(Rejection.INVALID_VALUE,
                    "config.precision must be one of " + RunConfig.PRECISIONS + ", got " + declared);
        }
        return known;
    }

    /** Reads typed fields of one JSON object, throwing {@link InvalidField} with a precise message. */
    private static final class Fields {
        final ObjectNode node;

        Fields(ObjectNode node) {
            this.node = node;
        }

        String runId() {
            String run = requiredString("run");
            if (run.isBlank()) {
                throw new InvalidField(Rejection.INVALID_VALUE, "run must not be empty");
            }
            if (run.length() > MAX_RUN_ID_LENGTH) {
                throw new InvalidField(Rejection.INVALID_VALUE,
                        "run id of " + run.length() + " characters exceeds " + MAX_RUN_ID_LENGTH);
            }
            checkLabel("run", run);
            return run;
        }

        String requiredLabel(String name) {
            String value = requiredString(name);
            checkLabel(name, value);
            return value;
        }

        String optionalLabel(String name) {
            String value = optionalString(name);
            if (value != null) {
                checkLabel(name, value);
            }
            return value;
        }

        /**
         * An integer in [0, 2^53). A float with no fraction ({@code 188.0}, {@code 1e3}) is accepted as that
         * integer: trainers print float steps, and the value is exact. Fractions, overflowing exponents,
         * negatives, non-finite and non-numeric values are refused.
         */
        long step(boolean required) {
            Long step = step("step");
            if (step == null && required) {
                throw new InvalidField(Rejection.MISSING_FIELD, "step is required");
            }
            return step == null ? -1 : step;
        }

        /** A field that holds a step ({@code step}, {@code config.resumed_from_step}); null when absent. */
        Long step(String name) {
            JsonNode v = node.get(name);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isNumber()) {
                throw new InvalidField(Rejection.WRONG_TYPE, name + " must be an integer, got " + preview(v));
            }
            if (v.isIntegralNumber()) {
                if (!v.canConvertToLong() || v.longValue() < 0 || v.longValue() >= MAX_STEP_EXCLUSIVE) {
                    throw new InvalidField(Rejection.INVALID_VALUE,
                            name + " must be an integer in [0, 2^53), got " + preview(v));
                }
                return v.longValue();
            }
            double d = v.doubleValue();
            if (!Double.isFinite(d)) {
                throw new InvalidField(Rejection.INVALID_VALUE, name + " must be a finite integer, got " + preview(v));
            }
            if (d != Math.rint(d)) {
                throw new InvalidField(Rejection.INVALID_VALUE, name + " must be a whole number, got " + preview(v));
            }
            if (d < 0 || d >= MAX_STEP_EXCLUSIVE) {
                throw new InvalidField(Rejection.INVALID_VALUE,
                        name + " must be an integer in [0, 2^53), got " + preview(v));
            }
            return (long) d;
        }

        long time(long recordTimestampMs) {
            JsonNode v = node.get("time");
            if (v == null || v.isNull()) {
                return recordTimestampMs;
            }
            if (v.isNumber()) {
                double ms = v.doubleValue();
                if (!Double.isFinite(ms) || ms < 0 || ms > MAX_TIME_MS) {
                    throw new InvalidField(Rejection.INVALID_VALUE,
                            "time must be epoch ms in [0, year 9999], got " + preview(v));
                }
                return (long) ms;
            }
            if (v.isTextual()) {
                try {
                    return OffsetDateTime.parse(v.asText()).toInstant().toEpochMilli();
                } catch (DateTimeParseException e) {
                    try {
                        return Instant.parse(v.asText()).toEpochMilli();
                    } catch (DateTimeParseException e2) {
                        throw new InvalidField(Rejection.INVALID_VALUE,
                                "time must be epoch ms or ISO-8601, got " + preview(v));
                    }
                }
            }
            throw new InvalidField(Rejection.WRONG_TYPE, "time must be epoch ms or an ISO-8601 string");
        }

        String requiredString(String name) {
            JsonNode v = node.get(name);
            if (v == null || v.isNull()) {
                throw new InvalidField(Rejection.MISSING_FIELD, name + " is required");
            }
            if (!v.isTextual()) {
                throw new InvalidField(Rejection.WRONG_TYPE, name + " must be a string, got " + v.getNodeType());
            }
            return v.asText();
        }

        String optionalString(String name) {
            JsonNode v = node.get(name);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isTextual()) {
                throw new InvalidField(Rejection.WRONG_TYPE, name + " must be a string, got " + v.getNodeType());
            }
            return v.asText();
        }

        /** A label that trainers write as number or string (e.g. seed). */
        String optionalText(String name) {
            JsonNode v = node.get(name);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isValueNode()) {
                throw new InvalidField(Rejection.WRONG_TYPE, name + " must be a string or number");
            }
            checkLabel(name, v.asText());
            return v.asText();
        }

        Boolean optionalBoolean(String name) {
            JsonNode v = node.get(name);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isBoolean()) {
                throw new InvalidField(Rejection.WRONG_TYPE, name + " must be true or false");
            }
            return v.asBoolean();
        }

        /** An optional number; NaN and ±Infinity accepted (as bare tokens or strings), null when absent. */
        Double number(String name, String prefix) {
            JsonNode v = node.get(name);
            if (v == null || v.isNull()) {
                return null;
            }
            Double value = numberOrNull(v);
            if (value == null) {
                throw new InvalidField(Rejection.WRONG_TYPE, prefix + name + " must be a number, got " + preview(v));
            }
            return value;
        }

        Double nonNegative(String name) {
            Double v = number(name, "");
            if (v != null && !(v >= 0)) {
                throw new InvalidField(Rejection.INVALID_VALUE, name + " must be a finite number ≥ 0, got " + v);
            }
            if (v != null && Double.isInfinite(v)) {
                throw new InvalidField(Rejection.INVALID_VALUE, name + " must be finite");
            }
            return v;
        }
    }

    /**
     * Names that become Prometheus label values, alert subjects and summaries: at most
     * {@link #MAX_NAME_LENGTH} characters, no control characters (C0, DEL, C1, U+2028/U+2029) and no unpaired
     * surrogates (which no encoder can write back).
     */
    private static void checkLabel(String name, String value) {
        String problem = labelProblem(value);
        if (problem != null) {
            throw new InvalidField(Rejection.INVALID_VALUE, name + " " + problem);
        }
    }

    /** Why a name is not acceptable as a label value, or null when it is. */
    static String labelProblem(String value) {
        if (value.length() > MAX_NAME_LENGTH) {
            return "of " + value.length() + " characters exceeds " + MAX_NAME_LENGTH;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                return String.format(Locale.ROOT, "contains the control character U+%04X at index %d", (int) c, i);
            }
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(
                    value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return String.format(Locale.ROOT, "contains an unpaired surrogate U+%04X at index %d", (int) c, i);
            }
        }
        return null;
    }

    /** A bounded rendering of an offending value for a rejection's detail. */
    private static String preview(Object value) {
        String text = String.valueOf(value);
        return text.length() <= PREVIEW_CHARS ? text : text.substring(0, PREVIEW_CHARS) + "… (" + text.length()
                + " chars)";
    }

    /** Numbers, and the spellings of non-finite values that Python and PyTorch loggers produce; else null. */
    public static Double numberOrNull(JsonNode v) {
        if (v.isNumber()) {
            return v.doubleValue();
        }
        if (v.isTextual()) {
            String s = v.asText().trim().toLowerCase(Locale.ROOT);
            switch (s) {
                case "nan", "+nan", "-nan":
                    return Double.NaN;
                case "inf", "+inf", "infinity", "+infinity":
                    return Double.POSITIVE_INFINITY;
                case "-inf", "-infinity":
                    return Double.NEGATIVE_INFINITY;
                default:
                    try {
                        return Double.parseDouble(s);
                    } catch (NumberFormatException e) {
                        return null;
                    }
            }
        }
        return null;
    }

    private static final class InvalidField extends RuntimeException {
        final String reason;

        InvalidField(String reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }
}
