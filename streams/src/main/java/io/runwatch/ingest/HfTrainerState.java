package io.runwatch.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.contract.Json;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The Hugging Face Trainer's {@code trainer_state.json}: its {@code log_history} has the real optimizer
 * {@code step} of every logged entry (unlike stdout). The Trainer rewrites the whole file at every save, so the
 * tailer re-reads it and asks only for what it has not sent: {@link #records(String, String, long)}.
 *
 * <ul>
 *   <li>An entry with {@code loss} is a training record ({@code grad_norm}, {@code learning_rate} → {@code lr},
 *   other numbers such as {@code epoch} as extras).</li>
 *   <li>An entry with {@code eval_loss} is a record of its step with {@code val_loss}; named evaluation sets
 *   ({@code eval_<name>_loss}) become {@code val_loss_<name>}. Evaluations can sit at steps without a training
 *   entry.</li>
 *   <li>The final {@code train_runtime} entry is an {@code end} event. It is sent when its step is ≥ the step already
 *   sent, because the file that carries it is written after the last checkpoint's copy at that step.</li>
 *   <li>{@code predict_*} entries (no step) and anything unreadable are skipped; CRLF and bare {@code NaN} are read.</li>
 * </ul>
 */
public final class HfTrainerState {
    /** What a read produced: the new records, the newest step in the file, or why the text is not a state file. */
    public record Read(List<ContractRecord> records, long newestStep, String error) {
        public Read {
            records = List.copyOf(records);
        }

        public boolean ok() {
            return error == null;
        }
    }

    private HfTrainerState() {
    }

    /** The records of entries with step &gt; {@code afterStep} (all of them for -1), in file order. Never throws. */
    public static List<ContractRecord> records(String text, String run, long afterStep) {
        return read(text, run, afterStep).records();
    }

    /** As {@link #records}, with the newest step and the reason when the text is not a trainer_state.json. */
    public static Read read(String text, String run, long afterStep) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(text);
        } catch (Exception e) {
            return new Read(List.of(), -1, "not JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject() || !root.path("log_history").isArray()) {
            return new Read(List.of(), -1, "no log_history array");
        }
        List<ContractRecord> out = new ArrayList<>();
        long newest = -1;
        for (JsonNode entry : root.get("log_history")) {
            JsonNode stepNode = entry.get("step");
            if (!entry.isObject() || stepNode == null || !stepNode.isNumber()) {
                continue;
            }
            long step = Num.step(stepNode.asText());
            if (step < 0) {
                continue;
            }
            newest = Math.max(newest, step);
            if (entry.has("train_runtime")) {
                if (step >= afterStep) {
                    out.add(Records.end(run, step, "completed", null));
                }
                continue;
            }
            if (step <= afterStep) {
                continue;
            }
            Metric m = new Metric(step);
            boolean any = false;
            Iterator<Map.Entry<String, JsonNode>> fields = entry.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                String key = f.getKey();
                Double value = number(f.getValue());
                if (value == null || key.equals("step")) {
                    continue;
                }
                switch (key) {
                    case "loss" -> {
                        m.put("loss", value);
                        any = true;
                    }
                    case "eval_loss" -> {
                        m.put("val_loss", value);
                        any = true;
                    }
                    case "grad_norm" -> m.put("grad_norm", value);
                    case "learning_rate" -> m.put("lr", value);
                    default -> {
                        if (key.startsWith("eval_") && key.endsWith("_loss")) {
                            m.put("val_loss_" + key.substring(5, key.length() - 5), value);
                            any = true;
                        } else if (!key.startsWith("eval_")) {
                            m.put(key, value);
                        }
                    }
                }
            }
            if (any) {
                out.add(m.toRecord(run));
            }
        }
        return new Read(out, newest, null);
    }

    /** Cheap check on a file's first bytes: the keys the Trainer writes first. */
    public static boolean looksLikeTrainerState(String head) {
        return head != null && (head.contains("\"log_history\"") || head.contains("\"best_model_checkpoint\"")
                || head.contains("\"best_metric\""));
    }

    private static Double number(JsonNode v) {
        if (v.isNumber()) {
            return v.doubleValue();
        }
        if (v.isTextual()) {
            return Num.parse(v.asText());
        }
        return null;
    }
}
