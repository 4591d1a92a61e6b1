package io.runwatch.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.contract.Json;
import java.io.UncheckedIOException;

final class KafkaTestSupportJson {
    private KafkaTestSupportJson() {
    }

    static JsonNode tree(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
