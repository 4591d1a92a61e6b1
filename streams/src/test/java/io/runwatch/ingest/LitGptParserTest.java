package io.runwatch.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class LitGptParserTest {
    @Test
    void underGradientAccumulationTheIterationIsTheStep() {
        // litgpt tutorials/0_to_litgpt.md: two iterations per optimizer step.
        List<JsonNode> r = Feed.metrics(Feed.parser("litgpt"),
                "Epoch 1 | iter 1 step 0 | loss train: 1.646, val: n/a | iter time: 820.31 ms",
                "Epoch 1 | iter 2 step 1 | loss train: 1.660, val: n/a | iter time: 548.72 ms (step)",
                "Epoch 1 | iter 3 step 1 | loss train: 1.687, val: n/a | iter time: 300.07 ms");
        assertThat(Feed.steps(r)).containsExactly(1L, 2L, 3L);
        assertThat(r.get(1).get("loss").asDouble()).isEqualTo(1.66);
        assertThat(r.get(1).get("step_time_s").asDouble()).isCloseTo(0.54872, within(1e-12));
        assertThat(r.get(2).get("optimizer_step").asDouble()).isEqualTo(1);
        assertThat(r.get(0).has("val_loss")).isFalse();
    }

    @Test
    void theRepeatedValidationIsSentOnce() {
        // litgpt issue 1607: val: 2.861 on every line after the last evaluation.
        List<JsonNode> r = Feed.metrics(Feed.parser("litgpt"),
                "Epoch 34 | iter 3050700 step 610140 | loss train: 2.846, val: 2.861 | iter time: 112.20 ms (step) "
                        + "remaining time: 0:01:54",
                "Epoch 34 | iter 3050750 step 610150 | loss train: 2.750, val: 2.861 | iter time: 111.35 ms (step) "
                        + "remaining time: 0:01:49");
        assertThat(r.get(0).get("val_loss").asDouble()).isEqualTo(2.861);
        assertThat(r.get(1).has("val_loss")).isFalse();
    }

    @Test
    void olderShapesValidationCheckpointAndEnd() {
        TrainerLogParser p = Feed.parser("litgpt");
        List<ContractRecord> records = Feed.lines(p,
                "iter 100 step 25: loss 2.3456, iter time: 123.45ms (optimizer.step)",
                "iter 100: val loss 2.1000, val time: 2345.67 ms",
                "iter 104: loss 2.2000, time: 120.00ms",
                "Saving checkpoint to 'out/pretrain/step-000026/lit_model.pth'",
                "Training time: 11.20s");
        List<JsonNode> json = records.stream().map(Feed::json).toList();
        assertThat(json).extracting(j -> j.path("type").asText("metric") + "@" + j.get("step").asLong())
                .containsExactly("metric@100", "metric@100", "metric@104", "checkpoint@104", "end@104");
        assertThat(json.get(1).get("val_loss").asDouble()).isEqualTo(2.1);
        assertThat(json.get(2).get("step_time_s").asDouble()).isCloseTo(0.12, within(1e-12));
    }
}
