package io.runwatch.ingest;

import java.time.ZoneId;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LitGPT / lit-gpt / lit-llama training lines, four shapes across versions:
 * {@code Epoch 1 | iter 2 step 1 | loss train: 1.660, val: n/a | iter time: 548.72 ms (step)},
 * {@code iter 100 step 25: loss 2.3456, iter time: 123.45ms (optimizer.step)},
 * {@code iter 100: loss 2.3456, time: 123.45ms} and validation lines
 * ({@code iter 100: val loss 2.1, val time: ...}, {@code Final evaluation | val loss: 1.234 | val ppl: 3.43}).
 *
 * <ul>
 *   <li>Step: the iteration ({@code iter N}), which is unique; under gradient accumulation the optimizer
 *   {@code step} repeats across iterations (kept as the extra {@code optimizer_step}).</li>
 *   <li>{@code val:} on a training line repeats the last validation: sent once, when a new value appears.</li>
 *   <li>{@code iter time} in ms → {@code step_time_s}.</li>
 *   <li>Checkpoints ({@code Saving checkpoint to}, {@code Saving LoRA weights to}) are at the newest iteration; the
 *   {@code Training time: 11.20s} summary is the end.</li>
 * </ul>
 */
final class LitGptParser extends LineParser {
    private static final Pattern ITER = Pattern.compile("(?:^|\\|\\s*)iter (\\d+)(?: step (\\d+))?(?:\\s*\\||:)");
    private static final Pattern TRAIN_LOSS = Pattern.compile("(?<!val )loss(?: train)?:? ([^\\s,|]+)");
    private static final Pattern VAL_ON_TRAIN = Pattern.compile(",\\s*val: ([^\\s,|]+)");
    private static final Pattern VAL_LOSS = Pattern.compile("val loss:? ([^\\s,|]+)");
    private static final Pattern ITER_TIME = Pattern.compile("(?:iter )?time:? ([\\d.]+)\\s*ms");

    private String lastValText;

    LitGptParser(String run, ZoneId zone) {
        super(run, zone);
    }

    @Override
    public String format() {
        return "litgpt";
    }

    @Override
    protected boolean parse(String line, String label, List<ContractRecord> out) {
        Matcher iter = ITER.matcher(line);
        if (iter.find()) {
            long step = Long.parseLong(iter.group(1));
            String rest = line.substring(iter.end());
            if (rest.contains("val loss")) {
                Matcher v = VAL_LOSS.matcher(rest);
                if (v.find()) {
                    validation(step, Num.parse(v.group(1)), out);
                    lastValText = v.group(1);
                }
                return true;
            }
            Matcher loss = TRAIN_LOSS.matcher(rest);
            if (!loss.find() || Num.parse(loss.group(1)) == null) {
                return false;
            }
            Metric m = new Metric(step).put("loss", Num.parse(loss.group(1)));
            Matcher time = ITER_TIME.matcher(rest);
            if (time.find()) {
                m.put("step_time_s", Num.parse(time.group(1)) / 1000.0);
            }
            if (iter.group(2) != null) {
                m.put("optimizer_step", Num.parse(iter.group(2)));
            }
            Matcher val = VAL_ON_TRAIN.matcher(rest);
            if (val.find() && !val.group(1).equals(lastValText)) {
                lastValText = val.group(1);
                m.put("val_loss", Num.parse(val.group(1)));
            }
            step(m, label, out);
            return true;
        }
        if (line.startsWith("Final evaluation") || line.startsWith("Validating")) {
            Matcher v = VAL_LOSS.matcher(line);
            if (v.find() && newestStep() >= 0) {
                validation(newestStep(), Num.parse(v.group(1)), out);
            }
            return true;
        }
        if (line.startsWith("Saving checkpoint to") || line.startsWith("Saving LoRA weights to")
                || line.startsWith("Saving adapter weights to") || line.startsWith("Saving adapter v2 weights to")) {
            checkpoint(newestStep(), out);
            return true;
        }
        if (line.startsWith("Training time:")) {
            end("completed", out);
            return true;
        }
        return line.startsWith("Memory used:");
    }
}
