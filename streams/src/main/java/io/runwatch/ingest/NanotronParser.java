package io.runwatch.ingest;

import java.time.ZoneId;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * huggingface/nanotron: {@code 10/17/2025 16:31:56 [INFO|DP=0|PP=0|TP=0]: iteration: 327281 / 378950 |
 * consumed_tokens: 85.8G | elapsed_time_per_iteration_ms: 11.5K | tokens_per_sec: 22.8K | ... | lm_loss: 2.38 |
 * lr: 1e-05 | ... | grad_norm: 1.25}. Numbers carry human suffixes (K, M, G) and only 2-3 significant digits (a
 * healthy plateau repeats values). {@code lm_loss} → {@code loss}, {@code elapsed_time_per_iteration_ms} →
 * {@code step_time_s}, {@code tokens_per_sec} → {@code tokens_per_s}, {@code consumed_tokens} → {@code tokens}.
 * {@code Saving checkpoint at .../N} is a checkpoint.
 */
final class NanotronParser extends LineParser {
    static final Pattern ITERATION = Pattern.compile("\\biteration: (\\d+) / (\\d+) \\|");
    private static final Pattern SAVE = Pattern.compile("[Ss]aving checkpoint at \\S*?(\\d+)/?\\s*$");

    NanotronParser(String run, ZoneId zone) {
        super(run, zone);
    }

    @Override
    public String format() {
        return "nanotron";
    }

    @Override
    protected boolean parse(String line, String label, List<ContractRecord> out) {
        Matcher it = ITERATION.matcher(line);
        if (it.find()) {
            Metric m = new Metric(Long.parseLong(it.group(1)));
            for (String field : line.substring(it.end()).split("\\|")) {
                int colon = field.indexOf(':');
                if (colon <= 0) {
                    continue;
                }
                String key = field.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                Double value = Num.parse(field.substring(colon + 1));
                switch (key) {
                    case "lm_loss", "loss" -> m.put("loss", value);
                    case "grad_norm" -> m.put("grad_norm", value);
                    case "lr" -> m.put("lr", value);
                    case "tokens_per_sec" -> m.put("tokens_per_s", value);
                    case "elapsed_time_per_iteration_ms" -> m.put("step_time_s", value == null ? null : value / 1000);
                    case "consumed_tokens" -> m.put("tokens", value);
                    case "model_tflops_per_gpu" -> m.put("tflops_per_gpu", value);
                    default -> {
                    }
                }
            }
            if (!m.has("loss")) {
                return false;
            }
            step(m, label, out);
            return true;
        }
        Matcher save = SAVE.matcher(line);
        if (save.find()) {
            checkpoint(Long.parseLong(save.group(1)), out);
            return true;
        }
        return false;
    }
}
