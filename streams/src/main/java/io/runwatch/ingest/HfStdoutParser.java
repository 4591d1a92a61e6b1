package io.runwatch.ingest;

import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Hugging Face Trainer's stdout (also TRL, axolotl, LLaMA-Factory): one Python dict per logging step, often
 * glued to a tqdm bar after a {@code \r}. The line has no step number, so {@code step} is the ordinal of the
 * training dict (1, 2, ...) and every record says {@code "step_source": "ordinal"}; multiply by
 * {@code logging_steps} for the optimizer step, or tail {@code trainer_state.json} with {@code hf-state}.
 *
 * <ul>
 *   <li>A dict with {@code loss} is a training step: {@code grad_norm}, {@code learning_rate} → {@code lr}, numeric
 *   extras such as {@code epoch}. {@code nan}/{@code inf} are bare and read as such.</li>
 *   <li>A dict with {@code eval_loss} gives {@code val_loss} at the last training ordinal (named sets:
 *   {@code eval_<name>_loss} → {@code val_loss_<name>}).</li>
 *   <li>{@code {'train_runtime': ...}} is the Trainer's last line: an {@code end} event (its {@code train_loss} is
 *   the run's mean, not a step loss).</li>
 *   <li>A framework's copy of the same dict through its own logger ({@code ... >> {'loss': ...}}) right before or
 *   after the Trainer's (same epoch, same loss to the copy's precision) is one step, not two.</li>
 *   <li>{@code Saving model checkpoint to .../checkpoint-N} is a checkpoint at optimizer step N (not an ordinal).</li>
 * </ul>
 */
final class HfStdoutParser extends LineParser {
    private static final Pattern CHECKPOINT = Pattern.compile("Saving model checkpoint to \\S*?checkpoint-(\\d+)");

    private long ordinal;
    private String lastLoss;
    private String lastEpoch;
    private boolean lastFromLogger;

    HfStdoutParser(String run, ZoneId zone) {
        super(run, zone);
    }

    @Override
    public String format() {
        return "hf";
    }

    @Override
    protected void decorate(Metric m) {
        m.text("step_source", "ordinal");
    }

    @Override
    protected boolean parse(String line, String label, List<ContractRecord> out) {
        if (line.contains("Saving model checkpoint to")) {
            Matcher m = CHECKPOINT.matcher(line);
            if (m.find()) {
                checkpoint(Long.parseLong(m.group(1)), out);
            }
            return true;
        }
        if (line.indexOf('{') < 0) {
            return false;
        }
        Map<String, String> dict = PyDict.parse(line);
        if (dict == null) {
            return false;
        }
        if (dict.containsKey("train_runtime")) {
            end("completed", out);
            return true;
        }
        if (dict.containsKey("loss")) {
            return trainingDict(line, dict, label, out);
        }
        boolean eval = false;
        for (Map.Entry<String, String> e : dict.entrySet()) {
            String key = e.getKey();
            if (key.equals("eval_loss")) {
                validation(ordinal, Num.parse(e.getValue()), out);
                eval = true;
            }
        }
        if (!eval) {
            for (Map.Entry<String, String> e : dict.entrySet()) {
                if (e.getKey().startsWith("eval_") && e.getKey().endsWith("_loss")) {
                    eval = true; // named evaluation sets only: sent below as extras of a val record
                }
            }
            if (eval && ordinal > 0) {
                Metric m = new Metric(ordinal);
                dict.forEach((k, v) -> {
                    if (k.startsWith("eval_") && k.endsWith("_loss")) {
                        m.put("val_loss_" + k.substring(5, k.length() - 5), Num.parse(v));
                    }
                });
                m.text("step_source", "ordinal");
                out.add(m.toRecord(run));
            }
        }
        // predict_* and other metric dicts are the Trainer's too; a dict with none of these is not.
        return eval || dict.keySet().stream().anyMatch(k -> k.startsWith("predict_") || k.startsWith("test_"));
    }

    private boolean trainingDict(String line, Map<String, String> dict, String label, List<ContractRecord> out) {
        String loss = dict.get("loss");
        String epoch = dict.get("epoch");
        if (Num.parse(loss) == null) {
            return false;
        }
        boolean fromLogger = printedByLogger(line);
        if (isCopy(loss, epoch, fromLogger)) {
            lastLoss = loss;
            lastFromLogger = fromLogger;
            return true;
        }
        lastLoss = loss;
        lastEpoch = epoch;
        lastFromLogger = fromLogger;
        ordinal++;
        Metric m = new Metric(ordinal);
        m.put("loss", Num.parse(loss));
        dict.forEach((key, value) -> {
            switch (key) {
                case "loss" -> {
                }
                case "grad_norm" -> m.put("grad_norm", Num.parse(value));
                case "learning_rate" -> m.put("lr", Num.parse(value));
                default -> m.put(key, Num.parse(value));
            }
        });
        step(m, label, out);
        return true;
    }

    /** A logger's prefix before the dict ({@code ... callbacks:310 >> {'loss'...}), not a tqdm bar. */
    private static boolean printedByLogger(String line) {
        String before = line.substring(0, line.indexOf('{')).trim();
        return before.endsWith(">>") || before.contains("INFO");
    }

    /**
     * The previous dict's twin: same epoch, same loss to the shorter's precision, and exactly one of the two came
     * through a logger. Two real steps with equal printed values (a loss stuck at 0.0) are not.
     */
    private boolean isCopy(String loss, String epoch, boolean fromLogger) {
        if (lastLoss == null || epoch == null || !epoch.equals(lastEpoch)) {
            return false;
        }
        boolean differentSource = lastFromLogger != fromLogger;
        int decimals = Math.min(decimals(loss), decimals(lastLoss));
        Double a = Num.parse(loss);
        Double b = Num.parse(lastLoss);
        if (a == null || b == null || !Double.isFinite(a) || !Double.isFinite(b)) {
            return false;
        }
        double unit = Math.pow(10, -decimals);
        return differentSource && Math.abs(a - b) <= unit / 2 + 1e-12;
    }

    private static int decimals(String number) {
        int dot = number.indexOf('.');
        if (dot < 0 || number.contains("e") || number.contains("E")) {
            return dot < 0 ? 0 : 16;
        }
        return number.length() - dot - 1;
    }
}
