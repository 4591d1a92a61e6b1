package io.runwatch.ingest;

import java.time.ZoneId;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * karpathy/llm.c, both outputs. {@code main.log} ({@code llmc/logger.h}): {@code s:0 trl:11.0091 lr:0.000001
 * norm:15.37} (older logs: {@code s:N trl:X} only) and {@code s:0 tel:11.0092}, the validation loss evaluated
 * before training that step, joined to its record ({@code s:N eval:X}, HellaSwag accuracy, is read and not sent).
 * stdout: {@code step   61/74 | loss 3.208939 (+nanz)| norm 1.4800 (+nanz)| lr 3.00e-04 | 44.57 ms | -100.0% bf16 MFU
 * | 91886 tok/s}, where {@code (+nanz)} is llm.c's outlier z-score (nan until its window fills, ignored) and
 * {@code val loss X} (no step) belongs to the next step line. {@code total average iteration time} is the end.
 */
final class LlmcParser extends LineParser {
    static final Pattern MAIN_LOG = Pattern.compile("^s:(\\d+) (trl|tel|eval):(\\S+)");
    private static final Pattern MAIN_FIELD = Pattern.compile("\\b(lr|norm):(\\S+)");
    static final Pattern STDOUT = Pattern.compile("^step\\s+(\\d+)/(\\d+)\\s*\\|\\s*loss ");
    private static final Pattern STDOUT_VAL = Pattern.compile("^val loss (\\S+)");
    /** Older llm.c: {@code step 1/74: train loss 4.367631 norm 1.7315 lr 3.00e-04 (4123.45 ms, 127 tok/s)}, and the
     * CPU reference {@code step 3: train loss 4.2 (took 1234.5 ms)}. */
    static final Pattern OLD_STDOUT = Pattern.compile("^step\\s+(\\d+)(?:/\\d+)?: train loss ([^\\s,]+)"
            + "(?: norm (\\S+))?(?: lr (\\S+))?\\s*\\((?:took )?([\\d.]+) ms(?:, ([\\d.]+) tok/s)?\\)");

    LlmcParser(String run, ZoneId zone) {
        super(run, zone);
    }

    @Override
    public String format() {
        return "llmc";
    }

    @Override
    protected boolean parse(String line, String label, List<ContractRecord> out) {
        Matcher main = MAIN_LOG.matcher(line);
        if (main.find()) {
            long step = Long.parseLong(main.group(1));
            Double value = Num.parse(main.group(3));
            switch (main.group(2)) {
                case "trl" -> {
                    if (value == null) {
                        return false;
                    }
                    Metric m = new Metric(step).put("loss", value);
                    Matcher f = MAIN_FIELD.matcher(line);
                    while (f.find()) {
                        m.put(f.group(1).equals("norm") ? "grad_norm" : "lr", Num.parse(f.group(2)));
                    }
                    step(m, label, out);
                }
                case "tel" -> validation(step, value, out);
                default -> {
                }
            }
            return true;
        }
        Matcher stdout = STDOUT.matcher(line);
        if (stdout.find()) {
            return stdoutStep(line, Long.parseLong(stdout.group(1)), label, out);
        }
        Matcher old = OLD_STDOUT.matcher(line);
        if (old.find()) {
            Metric m = new Metric(Long.parseLong(old.group(1))).put("loss", Num.parse(old.group(2)));
            m.put("grad_norm", Num.parse(old.group(3)));
            m.put("lr", Num.parse(old.group(4)));
            m.put("step_time_s", Num.seconds(old.group(5), true));
            m.put("tokens_per_s", Num.parse(old.group(6)));
            if (!m.has("loss")) {
                return false;
            }
            step(m, label, out);
            return true;
        }
        Matcher val = STDOUT_VAL.matcher(line);
        if (val.find()) {
            validation(NEXT_STEP, Num.parse(val.group(1)), out);
            return true;
        }
        if (line.startsWith("total average iteration time")) {
            end("completed", out);
            return true;
        }
        return false;
    }

    private boolean stdoutStep(String line, long step, String label, List<ContractRecord> out) {
        Metric m = new Metric(step);
        String[] fields = line.split("\\|");
        for (int i = 1; i < fields.length; i++) {
            String f = fields[i].trim();
            int paren = f.indexOf('(');
            String value = paren > 0 ? f.substring(0, paren).trim() : f;
            if (f.startsWith("loss ")) {
                m.put("loss", Num.parse(value.substring(5)));
            } else if (f.startsWith("norm ")) {
                m.put("grad_norm", Num.parse(value.substring(5)));
            } else if (f.startsWith("lr ")) {
                m.put("lr", Num.parse(value.substring(3)));
            } else if (f.endsWith(" ms")) {
                Double ms = Num.parse(f.substring(0, f.length() - 3));
                m.put("step_time_s", ms == null ? null : ms / 1000.0);
            } else if (f.endsWith(" tok/s")) {
                m.put("tokens_per_s", Num.parse(f.substring(0, f.length() - 6)));
            } else if (f.endsWith("MFU")) {
                Double mfu = Num.parse(f.substring(0, f.indexOf('%') > 0 ? f.indexOf('%') : 0));
                m.put("mfu_pct", mfu != null && mfu >= 0 ? mfu : null);
            }
        }
        if (!m.has("loss")) {
            return false;
        }
        step(m, label, out);
        return true;
    }
}
