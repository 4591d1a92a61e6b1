package io.runwatch.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.contract.Json;
import java.time.ZoneId;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * fairseq and metaseq progress lines: {@code | INFO | train_inner | {"epoch": 1, "loss": "16.475", ...,
 * "num_updates": "1", "lr": "2e-05", "gnorm": "20.751", "loss_scale": "4", ...}} (values are strings), the older
 * {@code | train_inner | epoch 001:  1 / 50000 loss=16.264, ppl=78675.2, ..., num_updates=1, ...}, the same
 * through fairseq-hydra-train's logger ({@code [2021-03-08 12:31:36,123][train_inner][INFO] - {...}}) and their
 * {@code valid} twins.
 *
 * <ul>
 *   <li>Step: {@code num_updates}. {@code loss} is in bits (ppl = 2^loss): × ln 2 → nats; so is the validation
 *   {@code valid_loss}/{@code loss}, sent as {@code val_loss} at {@code valid_num_updates}/{@code num_updates}.
 *   {@code nll_loss} is not the loss.</li>
 *   <li>{@code gnorm} → {@code grad_norm}, {@code wps} → {@code tokens_per_s} (words are tokens for a language
 *   model), {@code loss_scale} under fp16.</li>
 *   <li>{@code NOTE: gradient overflow detected, ignoring gradient} lines count into the next record's
 *   {@code skipped_steps}.</li>
 *   <li>The per-epoch {@code | train |} summary is not a step. {@code Saved checkpoint ... (epoch E @ N updates}
 *   is a checkpoint; {@code done training in} is the end.</li>
 * </ul>
 */
final class FairseqParser extends LineParser {
    private static final double LN2 = Math.log(2);
    private static final Pattern KV_PAIR = Pattern.compile("([a-z_]+)=([^,\\s]+)");
    private static final Pattern SAVED = Pattern.compile("Saved checkpoint .*\\(epoch \\d+ @ (\\d+) updates");

    FairseqParser(String run, ZoneId zone) {
        super(run, zone);
    }

    @Override
    public String format() {
        return "fairseq";
    }

    @Override
    protected boolean parse(String line, String label, List<ContractRecord> out) {
        // "| INFO | train_inner | {...}" (fairseq-train, metaseq) or "[...][train_inner][INFO] - {...}" (hydra).
        int inner = loggerEnd(line, "train_inner");
        if (inner >= 0) {
            Map<String, String> fields = fields(line.substring(inner));
            return fields != null && trainInner(fields, label, out);
        }
        int valid = loggerEnd(line, "valid");
        if (valid >= 0) {
            Map<String, String> fields = fields(line.substring(valid));
            if (fields == null) {
                return false;
            }
            long step = Num.step(first(fields, "valid_num_updates", "num_updates"));
            Double bits = Num.parse(first(fields, "valid_loss", "loss"));
            if (step >= 0 && bits != null) {
                validation(step, bits * LN2, out);
            }
            return true;
        }
        if (loggerEnd(line, "train") >= 0) {
            return true; // the epoch summary repeats the interval averages
        }
        if (line.contains("gradient overflow detected")) {
            overflow(label);
            return true;
        }
        if (line.contains("Saved checkpoint")) {
            Matcher m = SAVED.matcher(line);
            if (m.find()) {
                checkpoint(Long.parseLong(m.group(1)), out);
            }
            return true;
        }
        if (line.contains("done training in")) {
            end("completed", out);
            return true;
        }
        return false;
    }

    /** Where the message of logger {@code name} starts, for {@code | name |} and hydra's {@code [name][LEVEL] - }. */
    static int loggerEnd(String line, String name) {
        int bar = line.indexOf("| " + name + " |");
        if (bar >= 0) {
            return bar + name.length() + 4;
        }
        int bracket = line.indexOf("[" + name + "][");
        if (bracket >= 0) {
            int dash = line.indexOf("] - ", bracket + name.length() + 2);
            return dash < 0 ? -1 : dash + 4;
        }
        return -1;
    }

    private boolean trainInner(Map<String, String> f, String label, List<ContractRecord> out) {
        long step = Num.step(f.get("num_updates"));
        Double bits = Num.parse(f.get("loss"));
        if (step < 0 || bits == null) {
            return false;
        }
        Metric m = new Metric(step).put("loss", bits * LN2);
        m.put("grad_norm", Num.parse(f.get("gnorm")));
        m.put("lr", Num.parse(f.get("lr")));
        m.put("tokens_per_s", Num.parse(f.get("wps")));
        m.put("loss_scale", Num.parse(f.get("loss_scale")));
        m.put("updates_per_s", Num.parse(f.get("ups")));
        m.put("clip_pct", Num.parse(f.get("clip")));
        m.put("epoch", Num.parse(f.get("epoch")));
        step(m, label, out);
        return true;
    }

    /** The fields of a JSON record, or of the older {@code key=value, ...} / {@code | key value |} forms. */
    private static Map<String, String> fields(String text) {
        Map<String, String> fields = new LinkedHashMap<>();
        int brace = text.indexOf('{');
        if (brace >= 0) {
            JsonNode node;
            try {
                node = Json.MAPPER.readTree(text.substring(brace));
            } catch (Exception e) {
                return null;
            }
            if (node == null || !node.isObject()) {
                return null;
            }
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                fields.put(e.getKey(), e.getValue().asText());
            }
            return fields;
        }
        Matcher kv = KV_PAIR.matcher(text);
        while (kv.find()) {
            fields.put(kv.group(1), kv.group(2));
        }
        for (String part : text.split("\\|")) {
            String p = part.trim();
            int space = p.lastIndexOf(' ');
            if (space > 0 && p.indexOf('=') < 0) {
                fields.putIfAbsent(p.substring(0, space).trim(), p.substring(space + 1));
            }
        }
        return fields;
    }

    private static String first(Map<String, String> fields, String a, String b) {
        return fields.containsKey(a) ? fields.get(a) : fields.get(b);
    }
}
