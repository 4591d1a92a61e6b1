package io.runwatch.ingest;

import java.time.ZoneId;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Megatron-LM, Megatron-DeepSpeed (BigScience, Microsoft) and GPT-NeoX: the {@code iteration N/ M | key: value |}
 * line of {@code training_log}, read field by field (so forks that add, drop or reorder fields still parse).
 *
 * <ul>
 *   <li>Loss: {@code lm loss}, {@code lm-loss}, {@code lm_loss} (v1: {@code lm loss 6.7E+00}, no colon), else a bare
 *   {@code loss}; never {@code moe loss} and the like (kept as extras). Megatron drops the loss from the line when it
 *   is NaN ({@code nan >= 0.0} is false), so a complete line without it is {@code loss: NaN} — unless the fp16
 *   scaler skipped the interval ({@code number of skipped iterations} &gt; 0 and {@code number of nan iterations: 0}):
 *   then no update happened, nothing was NaN, and the record has no loss.</li>
 *   <li>{@code skipped_steps}: Megatron's {@code number of skipped iterations}, or the DeepSpeed overflow lines
 *   ({@code OVERFLOW!}, {@code overflow! Skipping step}, {@code Grad overflow on iteration N}; not
 *   {@code No Grad overflow for N iterations}) printed since the previous iteration line, whichever is larger:
 *   DeepSpeed prints the overflow before the iteration line of the interval it belongs to.</li>
 *   <li>Placeholders are left out: {@code loss scale: -1.0} (DeepSpeed owns the scaler), {@code grad norm: 0.000}
 *   (forks that never compute it).</li>
 *   <li>{@code elapsed time per iteration (ms)} or {@code (s)} becomes {@code step_time_s}.</li>
 *   <li>A line that does not end with {@code |} was cut off (a crash mid-write) and is not a record.</li>
 * </ul>
 * Validation ({@code validation loss at iteration N | lm loss value: X}) gives {@code val_loss} at N; checkpoints
 * come from {@code saving checkpoint at iteration N} / {@code successfully saved checkpoint from iteration N} and
 * DeepSpeed's {@code Saving model checkpoint: .../global_stepN}; {@code [after training is done]} is the end.
 */
final class MegatronParser extends LineParser {
    static final Pattern ITERATION = Pattern.compile("\\biteration\\s+(\\d+)\\s*/\\s*(\\d+)\\s*\\|");
    private static final Pattern VALIDATION = Pattern.compile(
            "validation (?:loss|results) at (?:iteration\\s+(\\d+)|the end of training for val data)");
    private static final Pattern SAVE = Pattern.compile(
            "(?:saving checkpoint at|saved checkpoint (?:at|from)) iteration\\s+(\\d+)", Pattern.CASE_INSENSITIVE);
    private static final Pattern DEEPSPEED_SAVE = Pattern.compile("Saving model checkpoint: \\S*global_step(\\d+)");
    private static final Pattern GRAD_OVERFLOW = Pattern.compile("(?<!No )Grad overflow on iteration");

    private int overflowLines;
    private int gradOverflowLines;

    MegatronParser(String run, ZoneId zone) {
        super(run, zone);
    }

    @Override
    public String format() {
        return "megatron";
    }

    @Override
    protected boolean parse(String line, String label, List<ContractRecord> out) {
        Matcher it = ITERATION.matcher(line);
        if (it.find()) {
            return iteration(line, it, label, out);
        }
        if (line.contains("validation loss at") || line.contains("validation results at")) {
            return validation(line, out);
        }
        if (line.contains("OVERFLOW!") || line.contains("overflow! Skipping step")) {
            if (isPrimary(label)) {
                overflowLines++;
            }
            return true;
        }
        if (line.contains("Grad overflow")) {
            if (GRAD_OVERFLOW.matcher(line).find() && isPrimary(label)) {
                gradOverflowLines++;
            }
            return true;
        }
        if (line.contains("heckpoint")) {
            Matcher m = SAVE.matcher(line);
            if (m.find()) {
                checkpoint(Long.parseLong(m.group(1)), out);
                return true;
            }
            m = DEEPSPEED_SAVE.matcher(line);
            if (m.find()) {
                checkpoint(Long.parseLong(m.group(1)), out);
                return true;
            }
            return false;
        }
        if (line.contains("[after training is done]")) {
            end("completed", out);
            return true;
        }
        // DeepSpeed's own copy of the step ("steps: 10 loss: 11.3 iter time (s): ...") and memory reports.
        return line.contains(" steps: ") && line.contains(" loss: ")
                || line.contains("(after ") && line.contains("memory (MB)");
    }

    private String firstLabel;

    private boolean isPrimary(String label) {
        return label == null || firstLabel == null || label.equals(firstLabel);
    }

    private boolean iteration(String line, Matcher it, String label, List<ContractRecord> out) {
        if (!line.stripTrailing().endsWith("|")) {
            return false; // cut off mid-write
        }
        if (firstLabel == null) {
            firstLabel = label;
        }
        Metric m = new Metric(Long.parseLong(it.group(1)));
        Double loss = null;
        Double bareLoss = null;
        Double skipped = null;
        Double nanIterations = null;
        for (String field : line.substring(it.end()).split("\\|")) {
            String f = field.trim();
            if (f.isEmpty()) {
                continue;
            }
            int colon = f.lastIndexOf(':');
            String key;
            String value;
            if (colon > 0) {
                key = f.substring(0, colon).trim();
                value = f.substring(colon + 1).trim();
            } else {
                int space = f.lastIndexOf(' ');
                if (space <= 0) {
                    continue;
                }
                key = f.substring(0, space).trim();
                value = f.substring(space + 1).trim();
            }
            String k = key.toLowerCase(Locale.ROOT);
            switch (k) {
                case "lm loss", "lm-loss", "lm_loss" -> loss = Num.parse(value);
                case "loss" -> bareLoss = Num.parse(value);
                case "grad norm", "grad_norm", "grad-norm" -> m.put("grad_norm", nonPlaceholderNorm(Num.parse(value)));
                case "learning rate", "lr" -> m.put("lr", Num.parse(value));
                case "loss scale", "loss_scale" -> m.put("loss_scale", positive(Num.parse(value)));
                case "elapsed time per iteration (ms)", "elapsed_time_per_iteration_ms" ->
                        m.put("step_time_s", scaled(Num.parse(value), 1e-3));
                case "elapsed time per iteration (s)", "elapsed_time_per_iteration_s" ->
                        m.put("step_time_s", Num.parse(value));
                case "number of skipped iterations" -> skipped = Num.parse(value);
                case "number of nan iterations" -> nanIterations = Num.parse(value);
                case "consumed tokens", "consumed_tokens" -> m.put("tokens", Num.parse(value));
                case "tokens per second", "tokens_per_sec", "tokens/sec", "tokens per sec" ->
                        m.put("tokens_per_s", Num.parse(value));
                case "samples per second", "samples/sec", "samples_per_sec" -> m.put("samples_per_s", Num.parse(value));
                case "tflops", "tflops_per_gpu" -> m.put("tflops_per_gpu", Num.parse(value));
                default -> {
                    if (k.contains("loss") && !k.contains("scale")) {
                        m.put(k.replaceAll("[^a-z0-9]+", "_"), Num.parse(value)); // moe loss, mtp_1 loss: extras
                    }
                }
            }
        }
        if (loss == null) {
            loss = bareLoss;
        }
        boolean scalerSkippedAll = skipped != null && skipped > 0 && (nanIterations == null || nanIterations == 0);
        if (loss != null) {
            m.put("loss", loss);
        } else if (!scalerSkippedAll) {
            m.put("loss", Double.NaN); // Megatron leaves a NaN loss out of the line
        }
        int overflows = Math.max(overflowLines, gradOverflowLines);
        overflowLines = 0;
        gradOverflowLines = 0;
        double skippedSteps = Math.max(skipped == null ? 0 : skipped, overflows);
        if (skipped != null || overflows > 0) {
            m.put("skipped_steps", skippedSteps);
        }
        m.put("nan_iterations", nanIterations);
        step(m, label, out);
        return true;
    }

    private boolean validation(String line, List<ContractRecord> out) {
        Matcher m = VALIDATION.matcher(line);
        if (!m.find()) {
            return line.contains("on test") || line.contains("test data");
        }
        if (line.contains(" on test")) {
            return true;
        }
        long step = m.group(1) != null ? Long.parseLong(m.group(1)) : newestStep();
        Double value = null;
        for (String field : line.substring(m.end()).split("\\|")) {
            int colon = field.lastIndexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = field.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            if (key.equals("lm loss value") || key.equals("lm-loss value") || key.equals("lm_loss value")) {
                value = Num.parse(field.substring(colon + 1));
                break;
            }
            if (key.equals("loss value") && value == null) {
                value = Num.parse(field.substring(colon + 1));
            }
        }
        if (step >= 0) {
            validation(step, value, out);
        }
        return true;
    }

    /** Forks that never compute the norm print {@code grad norm: 0.000} on every line: not a measurement. */
    private static Double nonPlaceholderNorm(Double v) {
        return v != null && v == 0.0 ? null : v;
    }

    private static Double positive(Double v) {
        return v != null && v <= 0 ? null : v;
    }

    private static Double scaled(Double v, double factor) {
        return v == null ? null : v * factor;
    }
}
