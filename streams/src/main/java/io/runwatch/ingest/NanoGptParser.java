package io.runwatch.ingest;

import java.time.ZoneId;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * karpathy/nanoGPT {@code train.py}: {@code iter 3010: loss nan, time 1019.95ms, mfu 14.12%} and the evaluation
 * {@code step 3000: train loss 4.0390, val loss 4.0427}, printed before the iteration line of the same step (so its
 * {@code val_loss} joins that record). {@code time} is ms → {@code step_time_s} (the iteration after an evaluation
 * or save includes it). {@code mfu} is an EMA that starts at {@code -100.00%}: left out while negative. The loss is
 * one micro-batch's loss × grad_accum (approximate). {@code saving checkpoint to out} is a checkpoint at the
 * evaluated step. nanoGPT prints no final line, so no {@code end}.
 */
final class NanoGptParser extends LineParser {
    static final Pattern ITER = Pattern.compile(
            "\\biter (\\d+): loss ([^,\\s]+)(?:, time ([\\d.]+)\\s*ms)?(?:, mfu (-?[\\d.]+)%)?");
    static final Pattern EVAL = Pattern.compile("\\bstep (\\d+): train loss ([^,\\s]+), val loss ([^,\\s]+)");

    private long evalStep = -1;

    NanoGptParser(String run, ZoneId zone) {
        super(run, zone);
    }

    @Override
    public String format() {
        return "nanogpt";
    }

    @Override
    protected boolean parse(String line, String label, List<ContractRecord> out) {
        Matcher it = ITER.matcher(line);
        if (it.find()) {
            Double loss = Num.parse(it.group(2));
            if (loss == null) {
                return false;
            }
            Metric m = new Metric(Long.parseLong(it.group(1))).put("loss", loss);
            if (it.group(3) != null) {
                m.put("step_time_s", Num.parse(it.group(3)) / 1000.0);
            }
            Double mfu = it.group(4) == null ? null : Num.parse(it.group(4));
            if (mfu != null && mfu >= 0) {
                m.put("mfu_pct", mfu);
            }
            step(m, label, out);
            return true;
        }
        Matcher eval = EVAL.matcher(line);
        if (eval.find()) {
            evalStep = Long.parseLong(eval.group(1));
            validation(evalStep, Num.parse(eval.group(3)), out);
            return true;
        }
        if (line.contains("saving checkpoint to")) {
            checkpoint(evalStep >= 0 ? evalStep : newestStep(), out);
            return true;
        }
        return false;
    }
}
