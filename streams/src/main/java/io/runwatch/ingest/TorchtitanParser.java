package io.runwatch.ingest;

import java.time.ZoneId;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * pytorch/torchtitan metric lines: {@code [rank0]:[titan] 2025-06-16 22:30:50,322 - root - INFO - step: 200
 * loss: 6.1384  grad_norm: 0.8319  memory: 49.66GiB(52.28%)  tps: 5,856  tflops: 339.16  mfu: 34.29%}, coloured with
 * ANSI codes unless colour is off. Older versions have no {@code grad_norm} and say {@code wps}. {@code tps}/{@code wps}
 * (per device, thousands separators) → {@code tokens_per_s}; {@code mfu: N/A} is no value. Every rank may print the
 * same step (the {@code [rankN]:} label tells copies apart). {@code validate step: N  loss: X} gives {@code val_loss};
 * checkpoint saves are at the step they name or the newest step; {@code Training completed} is the end.
 */
final class TorchtitanParser extends LineParser {
    static final Pattern STEP = Pattern.compile("(?<!validate )\\bstep:\\s*(\\d+)\\s+loss:\\s*(\\S+)");
    private static final Pattern VALIDATE = Pattern.compile("validate step:\\s*(\\d+)\\s+loss:\\s*(\\S+)");
    private static final Pattern PAIR = Pattern.compile("\\b([a-z_]+):\\s+(\\S+)");
    private static final Pattern SAVE_STEP = Pattern.compile("step[-_ ]?(\\d+)");

    TorchtitanParser(String run, ZoneId zone) {
        super(run, zone);
    }

    @Override
    public String format() {
        return "torchtitan";
    }

    @Override
    protected boolean parse(String line, String label, List<ContractRecord> out) {
        Matcher step = STEP.matcher(line);
        if (step.find()) {
            Double loss = Num.parse(step.group(2));
            if (loss == null) {
                return false;
            }
            Metric m = new Metric(Long.parseLong(step.group(1))).put("loss", loss);
            Matcher pair = PAIR.matcher(line);
            pair.region(step.end(), line.length());
            while (pair.find()) {
                String value = pair.group(2);
                switch (pair.group(1)) {
                    case "grad_norm" -> m.put("grad_norm", Num.parse(value));
                    case "tps", "wps" -> m.put("tokens_per_s", Num.parse(value));
                    case "tflops" -> m.put("tflops", Num.parse(value));
                    case "mfu" -> m.put("mfu_pct", Num.parse(value.replace("%", "")));
                    case "lr" -> m.put("lr", Num.parse(value));
                    default -> {
                    }
                }
            }
            step(m, label, out);
            return true;
        }
        Matcher validate = VALIDATE.matcher(line);
        if (validate.find()) {
            validation(Long.parseLong(validate.group(1)), Num.parse(validate.group(2)), out);
            return true;
        }
        if (line.contains("aving") && line.contains("checkpoint")) {
            Matcher s = SAVE_STEP.matcher(line.substring(line.indexOf("checkpoint")));
            if (s.find()) {
                checkpoint(Long.parseLong(s.group(1)), out);
            } else if (line.contains("Finished saving")) {
                checkpoint(newestStep(), out);
            }
            return true;
        }
        if (line.contains("Training completed")) {
            end("completed", out);
            return true;
        }
        return false;
    }
}
