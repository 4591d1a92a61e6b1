package io.runwatch.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runwatch.contract.InputParser;
import io.runwatch.contract.Json;

/** Writes contract records with Jackson: non-finite numbers as Python's bare {@code NaN}/{@code Infinity} tokens. */
final class Records {
    /** The contract reads bare NaN (Python's json default); Jackson would quote it unless told not to. */
    static final ObjectWriter WRITER = Json.MAPPER.writer().without(JsonWriteFeature.WRITE_NAN_AS_STRINGS);

    private Records() {
    }

    static String write(ObjectNode node) {
        try {
            return WRITER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an ObjectNode always serialises", e);
        }
    }

    static ContractRecord checkpoint(String run, long step, String time) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("run", run);
        node.put("type", "checkpoint");
        node.put("step", step);
        if (time != null) {
            node.put("time", time);
        }
        return new ContractRecord(InputParser.Kind.EVENTS, run, step, write(node));
    }

    /** The trainer printed its last line; {@code step} is the last step seen, or -1. */
    static ContractRecord end(String run, long step, String status, String time) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("run", run);
        node.put("type", "end");
        if (step >= 0) {
            node.put("step", step);
        }
        if (time != null) {
            node.put("time", time);
        }
        if (status != null) {
            node.put("status", status);
        }
        return new ContractRecord(InputParser.Kind.EVENTS, run, step, write(node));
    }
}
