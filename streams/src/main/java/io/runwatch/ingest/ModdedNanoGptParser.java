package io.runwatch.ingest;

import java.time.ZoneId;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * KellerJordan/modded-nanogpt records: {@code step:1/6200 train_loss:10.9184 train_time:74701ms step_avg:nanms},
 * {@code step:125/3600 val_loss:4.60783 train_time:22.151s step_avg:177.21ms} (newer records: validation only,
 * {@code train_time} in s) and forks' {@code step:10/1000, tokens seen:0.59M, avg_train_loss:10.0153 ...}.
 *
 * <p>{@code train_loss}/{@code avg_train_loss} → {@code loss}; {@code val_loss} → {@code val_loss} of that step (printed
 * after the training line, or for step 0 before any: then not sent); {@code train_time} (ms or s, cumulative,
 * excludes evaluation) → the extra {@code train_time_s}; {@code tokens seen} → {@code tokens}. The log opens with
 * the training script's source, which is not parsed. {@code peak memory ...}, printed last, is the end.
 */
final class ModdedNanoGptParser extends LineParser {
    static final Pattern STEP = Pattern.compile("^step:(\\d+)/(\\d+)[ ,]");
    private static final Pattern PAIR = Pattern.compile("([a-z_][a-z_ ]*?):\\s*([^\\s,]+)");

    ModdedNanoGptParser(String run, ZoneId zone) {
        super(run, zone);
    }

    @Override
    public String format() {
        return "modded-nanogpt";
    }

    @Override
    protected boolean parse(String line, String label, List<ContractRecord> out) {
        Matcher step = STEP.matcher(line);
        if (!step.find()) {
            if (line.startsWith("peak memory")) {
                end("completed", out);
                return true;
            }
            return false;
        }
        Metric m = new Metric(Long.parseLong(step.group(1)));
        Double val = null;
        boolean any = false;
        Matcher pair = PAIR.matcher(line);
        pair.region(step.end(), line.length());
        while (pair.find()) {
            String key = pair.group(1).trim();
            String value = pair.group(2);
            switch (key) {
                case "train_loss", "avg_train_loss" -> {
                    m.put("loss", Num.parse(value));
                    any = true;
                }
                case "val_loss" -> {
                    val = Num.parse(value);
                    any = true;
                }
                case "train_time" -> m.put("train_time_s", Num.seconds(value, true));
                case "tokens seen" -> m.put("tokens", Num.parse(value));
                default -> {
                }
            }
        }
        if (m.has("loss")) {
            step(m, label, out);
        }
        if (val != null) {
            validation(m.step, val, out);
        }
        return any;
    }
}
