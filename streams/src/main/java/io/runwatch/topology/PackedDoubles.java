package io.runwatch.topology;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * {@code double[]} in stored state as raw binary, 8 bytes (IEEE 754, big-endian) per element: the exact bits,
 * NaN included, and one bulk copy instead of one Smile number token per element. Used by {@link StateSerde}'s
 * Smile mapper only; the reader also takes the array form that earlier versions wrote.
 */
final class PackedDoubles {
    private static final VarHandle DOUBLES =
            MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.BIG_ENDIAN);

    private PackedDoubles() {
    }

    static byte[] pack(double[] values) {
        byte[] bytes = new byte[values.length * Double.BYTES];
        for (int i = 0; i < values.length; i++) {
            DOUBLES.set(bytes, i * Double.BYTES, values[i]);
        }
        return bytes;
    }

    static double[] unpack(byte[] bytes) throws IOException {
        if (bytes.length % Double.BYTES != 0) {
            throw new IOException("packed doubles of " + bytes.length + " bytes, not a multiple of 8");
        }
        double[] values = new double[bytes.length / Double.BYTES];
        for (int i = 0; i < values.length; i++) {
            values[i] = (double) DOUBLES.get(bytes, i * Double.BYTES);
        }
        return values;
    }

    static final class Writer extends JsonSerializer<double[]> {
        @Override
        public void serialize(double[] value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeBinary(pack(value));
        }
    }

    static final class Reader extends JsonDeserializer<double[]> {
        @Override
        public double[] deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonToken token = p.currentToken();
            if (token == JsonToken.VALUE_EMBEDDED_OBJECT || token == JsonToken.VALUE_STRING) {
                return unpack(p.getBinaryValue());
            }
            if (token != JsonToken.START_ARRAY) {
                return (double[]) ctxt.handleUnexpectedToken(double[].class, p);
            }
            double[] values = new double[16];
            int n = 0;
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                if (n == values.length) {
                    values = Arrays.copyOf(values, n * 2);
                }
                values[n++] = t == JsonToken.VALUE_STRING ? Double.parseDouble(p.getText()) : p.getDoubleValue();
            }
            return Arrays.copyOf(values, n);
        }
    }
}
