package io.runwatch.ingest.evals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds a checkpoint step in the places evaluation harnesses and training jobs leave it: a field of the result,
 * the model arguments (lm-eval writes them as a {@code key=value,...} string, GPT-NeoX's evaluate.py as its whole
 * config dict) and the file or directory names that trainers give their checkpoints.
 */
public final class StepFinder {
    /** Top-level fields that some wrappers add to a harness result. */
    static final List<String> STEP_FIELDS = List.of("step", "global_step", "checkpoint_step", "iteration");

    /**
     * Checkpoint names, most specific first. A keyword only counts after a non-letter, so {@code mystep5} or
     * {@code 160m} are not steps, and a timestamp ({@code eval_results_02-16-2023-01-09-59}) matches nothing.
     * {@code iter_0001000} is Megatron's checkpoint directory.
     */
    private static final List<Pattern> NAME_PATTERNS = List.of(
            Pattern.compile("(?<![a-z])global[-_]?step[-_]?(\\d+)"),
            Pattern.compile("(?<![a-z])(?:checkpoint|ckpt)[-_]?(\\d+)"),
            Pattern.compile("(?<![a-z])step[-_]?(\\d+)"),
            Pattern.compile("(?<![a-z])iter(?:ation)?[-_](\\d+)"),
            Pattern.compile("(?<![a-z])epoch[-_]?(\\d+)"),
            Pattern.compile("^(\\d+)$"));
    private static final Pattern EXTENSION = Pattern.compile("\\.(json|jsonl|ndjson|csv|tsv|txt)$",
            Pattern.CASE_INSENSITIVE);
    /** Digits beyond this are an id or a timestamp, not a step. */
    private static final int MAX_STEP_DIGITS = 12;

    private StepFinder() {
    }

    /** A step in one name (a file name without its extension, or one directory name). */
    static Optional<Long> fromName(String name) {
        String lower = EXTENSION.matcher(name).replaceFirst("").toLowerCase(Locale.ROOT);
        for (Pattern pattern : NAME_PATTERNS) {
            Matcher m = pattern.matcher(lower);
            if (m.find() && m.group(1).length() <= MAX_STEP_DIGITS) {
                return Optional.of(Long.parseLong(m.group(1)));
            }
        }
        return Optional.empty();
    }

    /**
     * A step in a path: the file name first, then the directories from the nearest up. {@code path} uses
     * {@code /} (or {@code \}) between names.
     */
    public static Optional<StepOrigin> fromPath(String path) {
        List<String> names = new ArrayList<>(List.of(path.split("[/\\\\]+")));
        for (int i = names.size() - 1; i >= 0; i--) {
            String name = names.get(i);
            if (name.isEmpty() || name.equals(".") || name.equals("..")) {
                continue;
            }
            Optional<Long> step = fromName(name);
            if (step.isPresent()) {
                String what = i == names.size() - 1 ? "file name " : "directory ";
                return Optional.of(new StepOrigin(StepSource.PATH, step.get(), what + name));
            }
        }
        return Optional.empty();
    }

    /** A top-level step field of a result object (an integer, or a string of digits). */
    static Optional<StepOrigin> fromFields(JsonNode result) {
        for (String field : STEP_FIELDS) {
            Optional<Long> step = wholeNumber(result.get(field));
            if (step.isPresent()) {
                return Optional.of(new StepOrigin(StepSource.FIELD, step.get(), field + "=" + step.get()));
            }
        }
        return Optional.empty();
    }

    /**
     * The model arguments: a string {@code pretrained=...,revision=step1000} (key order not fixed), or a dict
     * (a GPT-NeoX config carries {@code iteration}; lm-eval called from Python may pass {@code revision} and
     * {@code pretrained} as a dict). The revision is tried before paths, since it names the checkpoint exactly.
     */
    static Optional<StepOrigin> fromModelArgs(JsonNode modelArgs) {
        if (modelArgs == null || modelArgs.isNull()) {
            return Optional.empty();
        }
        List<String[]> pairs = new ArrayList<>();
        if (modelArgs.isTextual()) {
            for (String pair : modelArgs.asText().split(",")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    pairs.add(new String[] {pair.substring(0, eq).trim(), pair.substring(eq + 1).trim()});
                }
            }
        } else if (modelArgs.isObject()) {
            Optional<Long> iteration = wholeNumber(modelArgs.get("iteration"));
            if (iteration.isPresent()) {
                return Optional.of(new StepOrigin(StepSource.MODEL_ARGS, iteration.get(),
                        "config iteration=" + iteration.get()));
            }
            modelArgs.fields().forEachRemaining(e -> {
                if (e.getValue().isTextual()) {
                    pairs.add(new String[] {e.getKey(), e.getValue().asText()});
                }
            });
        }
        for (String key : List.of("revision", "pretrained", "peft", "checkpoint", "path", "model", "load")) {
            for (String[] pair : pairs) {
                if (pair[0].equals(key)) {
                    Optional<StepOrigin> found = key.equals("revision")
                            ? fromName(pair[1]).map(step -> origin(pair, step))
                            : fromPath(pair[1]).map(p -> origin(pair, p.step()));
                    if (found.isPresent()) {
                        return found;
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static StepOrigin origin(String[] pair, long step) {
        return new StepOrigin(StepSource.MODEL_ARGS, step, pair[0] + "=" + pair[1]);
    }

    /** An integer ≥ 0 written as a JSON number or a string of digits; anything else is not a step. */
    static Optional<Long> wholeNumber(JsonNode v) {
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (v.isIntegralNumber() && v.canConvertToLong() && v.asLong() >= 0) {
            return Optional.of(v.asLong());
        }
        if (v.isFloatingPointNumber() && v.doubleValue() >= 0 && v.doubleValue() == Math.rint(v.doubleValue())
                && v.doubleValue() < 1e15) {
            return Optional.of((long) v.doubleValue());
        }
        if (v.isTextual() && v.asText().trim().matches("\\d{1," + MAX_STEP_DIGITS + "}")) {
            return Optional.of(Long.parseLong(v.asText().trim()));
        }
        return Optional.empty();
    }
}
