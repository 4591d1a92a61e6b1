package io.runwatch.contract;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.Severity;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AlertJsonTest {
    @Test
    void writesTheContractFieldsAndReadsThemBack() throws Exception {
        Alert alert = Alert.firing("run-1", AlertType.divergence, Severity.page, 1200)
                .detectedAt(1230, 1_700_000_000_000L).value(4.2).threshold(3.1).rollbackTo(1000L)
                .summary("Loss diverged.").related("run-1/loss_spike/1200").details(Map.of("z", 9.5)).build()
                .withRunbook("alerts/runbook.md#divergence");
        String json = AlertJson.write(alert);
        JsonNode node = Json.MAPPER.readTree(json);
        assertThat(node.get("id").asText()).isEqualTo("run-1/divergence/1200");
        assertThat(node.get("severity").asText()).isEqualTo("page");
        assertThat(node.get("state").asText()).isEqualTo("firing");
        assertThat(node.get("detected_at_step").asLong()).isEqualTo(1230);
        assertThat(node.get("rollback_to_step").asLong()).isEqualTo(1000);
        assertThat(node.get("runbook").asText()).endsWith("#divergence");
        assertThat(node.has("benchmark")).isFalse();
        assertThat(AlertJson.read(json)).isEqualTo(alert);
    }
}
