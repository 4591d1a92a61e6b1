package io.runwatch.app;

import io.runwatch.contract.InputParser;
import io.runwatch.ingest.ContractRecord;
import io.runwatch.ingest.LineOutcome;
import io.runwatch.ingest.TrainerLogParser;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A test-only parser for llm.c's main.log ({@code s:N trl:X [lr:Y norm:Z]}, {@code s:N tel:X}) that holds each
 * step back until a line of a later step arrives (as a parser that merges a step's lines does), so tests see the
 * tailer's handling of held-back records. Never shipped: the real parsers live in io.runwatch.ingest.
 */
final class LlmcTestParser implements TrainerLogParser {
    private static final Pattern LINE = Pattern.compile("^s:(\\d+) (trl|tel):(\\S+)(?: lr:(\\S+))?(?: norm:(\\S+))?$");
    private final String run;
    private long heldStep = -1;
    private String heldLoss;
    private String heldVal;

    LlmcTestParser(String run) {
        this.run = run;
    }

    @Override
    public String format() {
        return "llmc";
    }

    @Override
    public LineOutcome accept(String line) {
        Matcher m = LINE.matcher(line.strip());
        if (!m.matches()) {
            return LineOutcome.unparsed();
        }
        long step = Long.parseLong(m.group(1));
        List<ContractRecord> out = new ArrayList<>();
        if (step != heldStep) {
            out.addAll(flush());
            heldStep = step;
        }
        if (m.group(2).equals("trl")) {
            heldLoss = m.group(3);
        } else {
            heldVal = m.group(3);
        }
        return LineOutcome.understood(out);
    }

    @Override
    public List<ContractRecord> flush() {
        if (heldStep < 0) {
            return List.of();
        }
        StringBuilder json = new StringBuilder("{\"run\":\"" + run + "\",\"step\":" + heldStep);
        if (heldLoss != null) {
            json.append(",\"loss\":").append(heldLoss.equals("nan") ? "NaN" : heldLoss);
        }
        if (heldVal != null) {
            json.append(",\"val_loss\":").append(heldVal);
        }
        ContractRecord record = new ContractRecord(InputParser.Kind.METRICS, run, heldStep, json.append('}').toString());
        heldStep = -1;
        heldLoss = null;
        heldVal = null;
        return List.of(record);
    }
}
