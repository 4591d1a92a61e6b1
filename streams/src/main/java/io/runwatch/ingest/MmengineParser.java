package io.runwatch.ingest;

import java.time.ZoneId;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OpenMMLab mmengine's logger (xtuner, mmdetection, ...): {@code 10/30 22:19:57 - mmengine - INFO -
 * Epoch(train) [1][240/735]  lr: 1.9813e-04  eta: 2:44:49  time: 2.8874  data_time: 0.0042  memory: 10762  loss: 2.5128
 * grad_norm: nan} and the iteration-based {@code Iter(train) [  10/1920]  ...}.
 *
 * <ul>
 *   <li>Step: {@code i} of {@code Iter(train) [i/N]}; for {@code Epoch(train) [E][i/L]} the global step
 *   {@code (E-1)·L + i} (epochs count from 1).</li>
 *   <li>Fields are separated by two spaces ({@code eta: 5 days, 23:52:36} has inner spaces and a comma). Only
 *   {@code loss:} is the loss; {@code loss_cls}, {@code loss_bbox}, ... are extras. {@code time} is seconds per
 *   iteration → {@code step_time_s}; {@code memory} (MB) → {@code memory_mb}.</li>
 *   <li>mmengine's timestamp has no year, so records carry no {@code time}.</li>
 *   <li>{@code Saving checkpoint at N iterations} is a checkpoint (at N epochs: at the newest step).</li>
 * </ul>
 */
final class MmengineParser extends LineParser {
    static final Pattern TRAIN = Pattern.compile(
            "(?:Iter\\(train\\)\\s*\\[\\s*(\\d+)/\\s*\\d+\\]|Epoch\\(train\\)\\s*\\[\\s*(\\d+)\\]\\[\\s*(\\d+)/\\s*(\\d+)\\])");
    private static final Pattern SAVE = Pattern.compile("Saving checkpoint at (\\d+) (iterations|epochs)");

    MmengineParser(String run, ZoneId zone) {
        super(run, zone);
    }

    @Override
    public String format() {
        return "mmengine";
    }

    @Override
    protected boolean parse(String line, String label, List<ContractRecord> out) {
        Matcher train = TRAIN.matcher(line);
        if (train.find()) {
            long step = train.group(1) != null ? Long.parseLong(train.group(1))
                    : (Long.parseLong(train.group(2)) - 1) * Long.parseLong(train.group(4))
                            + Long.parseLong(train.group(3));
            Metric m = new Metric(step);
            for (String field : line.substring(train.end()).trim().split("\\s{2,}")) {
                int colon = field.indexOf(": ");
                if (colon <= 0) {
                    continue;
                }
                String key = field.substring(0, colon).trim();
                Double value = Num.parse(field.substring(colon + 2));
                switch (key) {
                    case "loss" -> m.put("loss", value);
                    case "grad_norm" -> m.put("grad_norm", value);
                    case "lr" -> m.put("lr", value);
                    case "time" -> m.put("step_time_s", value);
                    case "data_time" -> m.put("data_time_s", value);
                    case "memory" -> m.put("memory_mb", value);
                    case "eta" -> {
                    }
                    default -> {
                        if (key.matches("[A-Za-z_][\\w.]*")) {
                            m.put(key, value);
                        }
                    }
                }
            }
            if (m.isEmpty()) {
                return false;
            }
            m.time = null;
            step(m, label, out);
            return true;
        }
        if (line.contains("Saving checkpoint at")) {
            Matcher save = SAVE.matcher(line);
            if (save.find()) {
                checkpoint(save.group(2).equals("iterations") ? Long.parseLong(save.group(1)) : newestStep(), out);
            }
            return true;
        }
        return line.contains(" - mmengine - ") && (line.contains("(val)") || line.contains("(test)"));
    }
}
