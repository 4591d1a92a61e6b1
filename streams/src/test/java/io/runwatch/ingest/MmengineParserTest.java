package io.runwatch.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class MmengineParserTest {
    @Test
    void epochLinesGiveTheGlobalStepAndNanGradNorms() {
        // InternLM/xtuner issue 187.
        List<JsonNode> r = Feed.metrics(Feed.parser("mmengine"),
                "10/30 22:19:57 - mmengine - INFO - Epoch(train) [1][240/735]  lr: 1.9813e-04  eta: 2:44:49  time: "
                        + "2.8874  data_time: 0.0042  memory: 10762  loss: 2.5128  grad_norm: nan",
                "10/30 22:19:57 - mmengine - INFO - Epoch(train) [3][10/735]  lr: 1.9813e-04  eta: 5 days, 23:52:36"
                        + "  time: 2.8874  data_time: 0.0042  memory: 10762  loss: 2.5000  loss_cls: 1.2  grad_norm: 3.1");
        assertThat(Feed.steps(r)).containsExactly(240L, 2 * 735L + 10);
        assertThat(r.get(0).get("grad_norm").asDouble()).isNaN();
        assertThat(r.get(0).get("step_time_s").asDouble()).isEqualTo(2.8874);
        assertThat(r.get(0).has("time")).as("mmengine's timestamp has no year").isFalse();
        assertThat(r.get(1).get("loss").asDouble()).isEqualTo(2.5);
        assertThat(r.get(1).get("loss_cls").asDouble()).isEqualTo(1.2);
    }

    @Test
    void iterLinesAndCheckpoints() {
        TrainerLogParser p = Feed.parser("mmengine");
        List<JsonNode> r = Feed.metrics(p, "05/04 08:52:19 - mmengine - INFO - Iter(train) [  20/1920]  lr: 6.7858e-05"
                + "  eta: 0:10:51  time: 0.3401  data_time: 0.0173  memory: 10081  loss: 2.8357  grad_norm: 4.1024");
        assertThat(r.get(0).get("step").asLong()).isEqualTo(20);
        assertThat(r.get(0).get("lr").asDouble()).isEqualTo(6.7858e-05);
        List<JsonNode> e = Feed.events(p, "05/04 09:04:27 - mmengine - INFO - Saving checkpoint at 1920 iterations");
        assertThat(e.get(0).get("step").asLong()).isEqualTo(1920);
    }
}
