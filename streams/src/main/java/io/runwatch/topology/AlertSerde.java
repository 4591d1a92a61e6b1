package io.runwatch.topology;

import io.runwatch.contract.AlertJson;
import io.runwatch.core.Alert;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Alerts in their public wire format, so internal topics and {@code runwatch.alerts} read the same. */
public final class AlertSerde implements Serde<Alert> {
    @Override
    public Serializer<Alert> serializer() {
        return (topic, alert) -> alert == null ? null : AlertJson.write(alert).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Deserializer<Alert> deserializer() {
        return (topic, bytes) -> bytes == null ? null : AlertJson.read(new String(bytes, StandardCharsets.UTF_8));
    }
}
