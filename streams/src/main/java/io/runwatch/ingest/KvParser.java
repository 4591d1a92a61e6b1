package io.runwatch.ingest;

import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A trainer that is not in the list: every {@code name: value} / {@code name=value} pair of a line is read, and a
 * field map names the contract fields ({@code --map loss=train/CE,step=iter}). Without a map entry a field is looked
 * for under its usual names ({@link #DEFAULT_SOURCES}). A line is a record when it has the step and at least one
 * other mapped field. Values may carry thousands separators, K/M/G suffixes, bare nan; a {@code step_time_s} source
 * printed as {@code 120ms} or {@code 1.2s} is converted. Rank copies and rewinds as for every format.
 */
final class KvParser extends LineParser {
    /** The contract field → the names trainers commonly print it under, tried in order. */
    static final Map<String, List<String>> DEFAULT_SOURCES = defaults();

    /** {@code name: value} or {@code name=value}; a comma inside a value only as a thousands separator. */
    private static final Pattern PAIR = Pattern.compile(
            "([A-Za-z_][\\w/.\\-]*)\\s*[:=]\\s*((?:[^\\s,;|\\]\\)]|,(?=\\d{3}(?!\\d)))+)");

    private final Map<String, List<String>> sources;

    KvParser(String run, ZoneId zone, Map<String, String> map) {
        super(run, zone);
        Map<String, List<String>> s = new LinkedHashMap<>(DEFAULT_SOURCES);
        if (map != null) {
            map.forEach((field, source) -> s.put(field.trim(), List.of(source.trim())));
        }
        this.sources = s;
    }

    private static Map<String, List<String>> defaults() {
        Map<String, List<String>> d = new LinkedHashMap<>();
        d.put("step", List.of("step", "global_step", "iter", "iteration", "num_updates", "it"));
        d.put("loss", List.of("loss", "train_loss", "train/loss", "lm_loss"));
        d.put("grad_norm", List.of("grad_norm", "gnorm", "grad-norm", "total_grad_norm", "train/grad_norm"));
        d.put("lr", List.of("lr", "learning_rate", "train/lr"));
        d.put("val_loss", List.of("val_loss", "eval_loss", "valid_loss", "val/loss"));
        d.put("tokens_per_s", List.of("tokens_per_s", "tokens_per_sec", "tok/s", "tps"));
        d.put("step_time_s", List.of("step_time_s", "step_time", "iter_time"));
        d.put("loss_scale", List.of("loss_scale"));
        return d;
    }

    @Override
    public String format() {
        return "kv";
    }

    @Override
    protected boolean parse(String line, String label, List<ContractRecord> out) {
        Map<String, String> pairs = new LinkedHashMap<>();
        Matcher m = PAIR.matcher(line);
        while (m.find()) {
            pairs.putIfAbsent(m.group(1), m.group(2));
        }
        if (pairs.isEmpty()) {
            return false;
        }
        long step = -1;
        for (String source : sources.get("step")) {
            if (pairs.containsKey(source)) {
                step = Num.step(stripTotal(pairs.get(source)));
                break;
            }
        }
        if (step < 0) {
            return false;
        }
        Metric metric = new Metric(step);
        for (Map.Entry<String, List<String>> field : sources.entrySet()) {
            if (field.getKey().equals("step")) {
                continue;
            }
            for (String source : field.getValue()) {
                String value = pairs.get(source);
                if (value != null) {
                    Double v = field.getKey().equals("step_time_s") ? Num.seconds(value, false) : Num.parse(value);
                    metric.put(field.getKey(), v);
                    break;
                }
            }
        }
        if (metric.isEmpty()) {
            return false;
        }
        step(metric, label, out);
        return true;
    }

    /** {@code 10/1000}: the step, not the total. */
    private static String stripTotal(String value) {
        int slash = value.indexOf('/');
        return slash > 0 ? value.substring(0, slash) : value;
    }
}
