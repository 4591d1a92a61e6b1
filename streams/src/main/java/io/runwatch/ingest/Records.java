package io.runwatch.ingest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runwatch.contract.InputParser;
import io.runwatch.contract.Json;
import java.io.IOException;
import java.io.StringWriter;

/** Writes contract records with Jackson: non-finite numbers as Python's bare {@code NaN}/{@code Infinity} tokens. */
final class Records {
    /** The contract reads bare NaN (Python's json default); Jackson would quote it unless told not to. */
    static final ObjectWriter WRITER = Json.MAPPER.writer().without(JsonWriteFeature.WRITE_NAN_AS_STRINGS);
    private static final JsonFactory FACTORY = JsonFactory.builder().disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();

    private Records() {
    }

    /** Fields written by {@code body} into one JSON object, with the same NaN rule. */
    static String writeObject(FieldWriter body) {
        return REUSABLE.get().write(body);
    }

    /**
     * One generator per thread, reused record after record: creating a Jackson generator per record was a tenth of a
     * backfill's time. Parsers are single-threaded, so a thread never writes two records at once.
     */
    private static final ThreadLocal<ReusableGenerator> REUSABLE = ThreadLocal.withInitial(ReusableGenerator::new);

    private static final class ReusableGenerator {
        private final StringWriter out = new StringWriter(256);
        private final JsonGenerator generator;

        ReusableGenerator() {
            try {
                generator = FACTORY.createGenerator(out);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            generator.setRootValueSeparator(null);
        }

        String write(FieldWriter body) {
            StringBuffer buffer = out.getBuffer();
            buffer.setLength(0);
            try {
                generator.writeStartObject();
                body.write(generator);
                generator.writeEndObject();
                generator.flush();
            } catch (IOException e) {
                throw new IllegalStateException("writing to a StringWriter cannot fail", e);
            }
            String json = buffer.toString();
            buffer.setLength(0);
            return json;
        }
    }

    @FunctionalInterface
    interface FieldWriter {
        void write(JsonGenerator generator) throws IOException;
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
