package io.runwatch.ingest;

import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NeMo on PyTorch Lightning: the progress bar ({@code Epoch 0: 3%| | 3/91 [16:05<..., loss=6.7, v_num=2,
 * reduced_train_loss=13.40, lr=7.5e-9, global_step=1.000, ...]}, redrawn with {@code \r}) and NeMo 2's text logger
 * ({@code Training epoch 0, iteration 10/49 | lr: 0.005 | global_step: 10 | reduced_train_loss: 5152 | ...}).
 *
 * <ul>
 *   <li>Step: {@code global_step} (printed as a float, {@code 188.0}); the bar counter is {@code global_step + 1}
 *   and only used, minus one, when there is no {@code global_step}.</li>
 *   <li>Loss: {@code reduced_train_loss} (else {@code train_loss}, {@code train_loss_step}). The bar's
 *   {@code loss=} is Lightning's running mean over 20 steps (it can read {@code nan} while the step loss is finite):
 *   never the step loss.</li>
 *   <li>{@code val_loss} is repeated on every later line: sent once, on the first line that shows a new value.</li>
 *   <li>Redraws of one step are one record.</li>
 *   <li>Checkpoints: {@code Successfully saved checkpoint from iteration N}, Lightning's
 *   {@code saving model to '...step=N...'}. End: {@code `Trainer.fit` stopped}.</li>
 * </ul>
 */
final class NemoParser extends LineParser {
    private static final Pattern COUNTER = Pattern.compile("\\|\\s*(\\d+)/(?:\\d+|\\?)\\s*\\[");
    private static final Pattern BAR = Pattern.compile("\\d+%\\||\\|\\s*\\d+/(?:\\d+|\\?)\\s*\\[");
    private static final Pattern TEXT_LOGGER = Pattern.compile("Training epoch \\d+, iteration \\d+/\\d+\\s*\\|");
    private static final Pattern SAVED = Pattern.compile(
            "(?:Successfully saved checkpoint from iteration\\s+(\\d+)|saving model to '[^']*step=(\\d+))");

    private String lastValText;

    NemoParser(String run, ZoneId zone) {
        super(run, zone);
    }

    @Override
    public String format() {
        return "nemo";
    }

    @Override
    protected boolean parse(String line, String label, List<ContractRecord> out) {
        Matcher text = TEXT_LOGGER.matcher(line);
        if (text.find()) {
            Map<String, String> fields = new LinkedHashMap<>();
            for (String field : line.substring(text.end()).split("\\|")) {
                int colon = field.indexOf(':');
                if (colon > 0) {
                    fields.put(field.substring(0, colon).trim(), field.substring(colon + 1).trim());
                }
            }
            record(fields, -1, label, out);
            return true;
        }
        if (line.contains("global_step=") || line.contains("reduced_train_loss=")) {
            // The postfix "[59:12<..., 18.79s/it, loss=7.75, train_step_timing in s=1.2, global_step=188.0]":
            // items split on ", ", keys may hold spaces.
            int open = line.lastIndexOf('[');
            int close = line.lastIndexOf(']');
            String postfix = line.substring(Math.max(0, open + 1), close > open ? close : line.length());
            Map<String, String> fields = new LinkedHashMap<>();
            for (String item : postfix.split(", ")) {
                int eq = item.lastIndexOf('=');
                if (eq > 0) {
                    fields.put(item.substring(0, eq).trim(), item.substring(eq + 1).trim());
                }
            }
            Matcher counter = COUNTER.matcher(line);
            long barStep = counter.find() ? Long.parseLong(counter.group(1)) - 1 : -1;
            record(fields, barStep, label, out);
            return true;
        }
        if (line.contains("aved checkpoint") || line.contains("saving model to")) {
            Matcher m = SAVED.matcher(line);
            if (m.find()) {
                checkpoint(Long.parseLong(m.group(1) != null ? m.group(1) : m.group(2)), out);
                return true;
            }
            return false;
        }
        if (line.contains("`Trainer.fit` stopped")) {
            end("completed", out);
            return true;
        }
        return BAR.matcher(line).find();
    }

    private void record(Map<String, String> fields, long barStep, String label, List<ContractRecord> out) {
        long step = fields.containsKey("global_step") ? Num.step(fields.get("global_step")) : barStep;
        Double loss = Num.parse(fields.get("reduced_train_loss"));
        if (loss == null) {
            loss = Num.parse(fields.get("train_loss"));
        }
        if (loss == null) {
            loss = Num.parse(fields.get("train_loss_step"));
        }
        if (step < 0 || loss == null) {
            return;
        }
        Metric m = new Metric(step).put("loss", loss);
        m.put("lr", Num.parse(fields.get("lr")));
        m.put("grad_norm", Num.parse(fields.get("grad_norm")));
        Double stepTiming = Num.parse(fields.get("train_step_timing in s"));
        m.put("step_time_s", stepTiming != null ? stepTiming : Num.parse(fields.get("train_step_timing")));
        m.put("consumed_samples", Num.parse(fields.get("consumed_samples")));
        String val = fields.get("val_loss");
        if (val != null && !val.equals(lastValText)) {
            m.put("val_loss", Num.parse(val));
            lastValText = val;
        }
        step(m, label, out);
    }
}
