package io.runwatch.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runwatch.contract.InputParser;
import io.runwatch.contract.Json;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Lines already in the input contract ({@code print(json.dumps(...))}, the bundled Python client): validated by the
 * same {@link InputParser} the topology uses and passed through. The topic is chosen by the record's shape: a
 * {@code benchmark} field makes it an evaluation, a {@code type} without training metrics an event, anything else a
 * metrics record. Run id: the record's own {@code run} is kept (one file may carry several runs); a record without
 * one gets the tail command's run ({@code --run}, or the one taken from the file name). A line the contract refuses
 * is unparsed, never sent half-right.
 */
final class JsonlParser implements TrainerLogParser {
    private final String run;
    private final InputParser validator = new InputParser(1 << 20);

    JsonlParser(String run) {
        this.run = run;
    }

    @Override
    public String format() {
        return "jsonl";
    }

    @Override
    public LineOutcome accept(String line) {
        try {
            String text = line == null ? "" : line.trim();
            if (!text.startsWith("{")) {
                return LineOutcome.unparsed();
            }
            JsonNode node = Json.MAPPER.readTree(text);
            if (node == null || !node.isObject()) {
                return LineOutcome.unparsed();
            }
            ObjectNode object = (ObjectNode) node;
            InputParser.Kind kind = kindOf(object);
            String json = text;
            if (!object.hasNonNull("run") && run != null) {
                object.put("run", run);
                json = Records.write(object);
            }
            if (!validator.parse(kind, json.getBytes(StandardCharsets.UTF_8), 0).isOk()) {
                return LineOutcome.unparsed();
            }
            JsonNode step = object.get("step");
            long stepValue = step != null && step.isNumber() ? step.asLong() : -1;
            return LineOutcome.understood(List.of(new ContractRecord(kind, object.get("run").asText(), stepValue,
                    json)));
        } catch (Exception e) {
            return LineOutcome.unparsed();
        }
    }

    @Override
    public List<ContractRecord> flush() {
        return List.of();
    }

    static InputParser.Kind kindOf(ObjectNode node) {
        if (node.has("benchmark")) {
            return InputParser.Kind.EVALS;
        }
        if (node.has("type") && !node.has("loss") && !node.has("grad_norm")) {
            return InputParser.Kind.EVENTS;
        }
        return InputParser.Kind.METRICS;
    }
}
