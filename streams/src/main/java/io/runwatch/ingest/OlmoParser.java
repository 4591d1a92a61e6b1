package io.runwatch.ingest;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * AllenAI OLMo / OLMo-core console blocks: a header ({@code [step=1/739328,epoch=0]}, older {@code [step=1/739328]},
 * OLMo-core {@code [step=1/100,epoch=0]}) followed by one indented {@code name=value} line per metric
 * ({@code train/CrossEntropyLoss=12.18}, {@code optim/total_grad_norm=231.7},
 * {@code throughput/device/tokens_per_second=26,668}; OLMo-core spells them {@code train/CE loss},
 * {@code optim/total grad norm}, {@code throughput/device/TPS}).
 *
 * <p>A block ends at the next header or the first line that is not an indented metric; its record is sent then (or on
 * {@link #flush()}). Metric lines before the first header belong to a block whose header is not in the file: read
 * and not sent. Thousands separators are read. Checkpoints: a save naming {@code stepN}.
 */
final class OlmoParser extends LineParser {
    static final Pattern HEADER = Pattern.compile("\\[step=(\\d+)(?:/\\d+)?(?:,[^\\]=]+=[^\\]]*)*\\]");
    private static final Pattern METRIC = Pattern.compile("^\\s+([^=\\s][^=]*)=(\\S+)\\s*$");
    private static final Pattern SAVE = Pattern.compile("(?:[Ss]aving|[Ss]aved).*checkpoint.*?step(\\d+)");

    private Metric open;
    private String openLabel;

    OlmoParser(String run, ZoneId zone) {
        super(run, zone);
    }

    @Override
    public String format() {
        return "olmo";
    }

    @Override
    public List<ContractRecord> flush() {
        List<ContractRecord> out = new ArrayList<>(1);
        close(out);
        return out;
    }

    @Override
    protected boolean parse(String line, String label, List<ContractRecord> out) {
        Matcher header = HEADER.matcher(line);
        if (header.find()) {
            close(out);
            open = new Metric(Long.parseLong(header.group(1)));
            open.time = Timestamps.find(line, zone);
            openLabel = label;
            return true;
        }
        Matcher metric = METRIC.matcher(line.startsWith(" ") || line.startsWith("\t") ? line : "");
        if (metric.find()) {
            if (open != null) {
                add(open, metric.group(1).trim(), Num.parse(metric.group(2)));
            }
            return true;
        }
        close(out);
        Matcher save = SAVE.matcher(line);
        if (save.find()) {
            checkpoint(Long.parseLong(save.group(1)), out);
            return true;
        }
        return false;
    }

    private static void add(Metric m, String name, Double value) {
        String key = name.toLowerCase(Locale.ROOT).replace(" ", "").replace("_", "");
        switch (key) {
            case "train/crossentropyloss", "train/celoss" -> m.put("loss", value);
            case "optim/totalgradnorm" -> m.put("grad_norm", value);
            case "throughput/device/tokenspersecond", "throughput/device/tps" -> m.put("tokens_per_s", value);
            case "throughput/totaltokens" -> m.put("tokens", value);
            case "train/zloss" -> m.put("z_loss", value);
            default -> {
                if (key.startsWith("optim/learningrate") || key.startsWith("optim/lr")) {
                    m.putIfAbsent("lr", value);
                }
            }
        }
    }

    private void close(List<ContractRecord> out) {
        if (open != null) {
            Metric m = open;
            open = null;
            if (!m.isEmpty()) {
                step(m, openLabel, out);
            }
        }
    }
}
