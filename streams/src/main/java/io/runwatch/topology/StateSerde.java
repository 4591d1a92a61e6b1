package io.runwatch.topology;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.smile.SmileGenerator;
import com.fasterxml.jackson.dataformat.smile.databind.SmileMapper;
import io.runwatch.contract.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde of detector state in stores and changelogs: Jackson Smile, binary JSON with the same data model, so the
 * state classes' fields and annotations mean what they meant as JSON text. Doubles are their 8 bytes (no decimal
 * text conversion, the top cost of JSON here) and repeated field names are back-references.
 *
 * <p>A {@code double[]} is written as one raw binary value of 8 bytes per element ({@link PackedDoubles}) instead of
 * a Smile array (a type byte and a 10-byte 7-bit encoding per element, written one by one): the rings and windows
 * of the liveness and training states are most of their doubles. Arrays written by an earlier version are still
 * read as arrays.
 *
 * <p>Reads both: a Smile value starts with its header {@code ":)\n"}, a JSON object with <code>{</code>, so the
 * JSON values of a store written by an earlier version stay readable and are rewritten as Smile when they change.
 */
public final class StateSerde<T> implements Serde<T> {
    /** First byte of the Smile header; never the first byte of a JSON document. */
    static final byte SMILE_FIRST_BYTE = ':';

    /** Configured like {@link Json#MAPPER}: fields of any visibility, unknown fields tolerated, nulls omitted. */
    static final ObjectMapper SMILE = SmileMapper.builder()
            // double arrays (rings, windows, histograms) as packed 8-byte binary: see PackedDoubles
            .disable(SmileGenerator.Feature.ENCODE_BINARY_AS_7BIT)
            .addModule(new SimpleModule("packed-doubles")
                    .addSerializer(double[].class, new PackedDoubles.Writer())
                    .addDeserializer(double[].class, new PackedDoubles.Reader()))
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .visibility(PropertyAccessor.ALL, JsonAutoDetect.Visibility.NONE)
            .visibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY)
            .visibility(PropertyAccessor.CREATOR, JsonAutoDetect.Visibility.ANY)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();

    private final Class<T> type;
    /** Writer and reader bound to the type once: no serializer lookup per value. */
    private final ObjectWriter writer;
    private final ObjectReader smileReader;

    public StateSerde(Class<T> type) {
        this.type = type;
        this.writer = SMILE.writerFor(type);
        this.smileReader = SMILE.readerFor(type);
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> {
            if (value == null) {
                return null;
            }
            try {
                return writer.writeValueAsBytes(value);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return bytes.length > 0 && bytes[0] == SMILE_FIRST_BYTE ? smileReader.readValue(bytes)
                        : Json.MAPPER.readValue(bytes, type);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }
}
