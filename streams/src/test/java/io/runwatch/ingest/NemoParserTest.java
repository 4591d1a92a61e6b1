package io.runwatch.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class NemoParserTest {
    @Test
    void theStepIsGlobalStepAndTheLossIsTheReducedTrainLossNotTheRunningMean() {
        // aws-neuron NxD Training docs: the bar counter is global_step + 1, loss= is Lightning's running mean.
        List<JsonNode> r = Feed.metrics(Feed.parser("nemo"),
                "    Epoch 0:   0%|          | 189/301501 [59:12<1573:03:24, 18.79s/it, loss=7.75, v_num=3-16, "
                        + "reduced_train_loss=7.560, global_step=188.0, consumed_samples=24064.0]",
                "    Epoch 0:   0%|          | 190/301501 [59:30<1572:41:13, 18.79s/it, loss=nan, v_num=3-16, "
                        + "reduced_train_loss=7.560, global_step=189.0, consumed_samples=24192.0]");
        assertThat(Feed.steps(r)).containsExactly(188L, 189L);
        assertThat(r.get(0).get("loss").asDouble()).isEqualTo(7.56);
        assertThat(r.get(1).get("loss").asDouble()).isEqualTo(7.56);
    }

    @Test
    void redrawsOfOneStepAreOneRecord() {
        List<JsonNode> r = Feed.metrics(Feed.parser("nemo"),
                "    Epoch 0:   3%|▎         | 3/91 [16:05<7:52:06, 321.89s/it, loss=4.47, v_num=2, "
                        + "reduced_train_loss=13.40, lr=7.5e-9, parameter_norm=5536.0, global_step=2.000, "
                        + "consumed_samples=3072.0]",
                "    Epoch 0:   4%|▍         | 4/91 [21:20<7:44:18, 320.22s/it, loss=4.47, v_num=2, "
                        + "reduced_train_loss=13.40, lr=7.5e-9, parameter_norm=5536.0, global_step=2.000, "
                        + "consumed_samples=3072.0]");
        assertThat(r).hasSize(1);
        assertThat(r.get(0).get("lr").asDouble()).isEqualTo(7.5e-9);
    }

    @Test
    void withoutGlobalStepTheBarCounterMinusOneIsTheStep() {
        List<JsonNode> r = Feed.metrics(Feed.parser("nemo"),
                "Epoch 0:  10%|█         | 11/110 [00:05<00:45, 2.2it/s, v_num=1, reduced_train_loss=3.210]");
        assertThat(Feed.steps(r)).containsExactly(10L);
    }

    @Test
    void theTextLoggerAndItsRepeatedValLoss() {
        List<JsonNode> r = Feed.metrics(Feed.parser("nemo"),
                "Training epoch 0, iteration 9/49 | lr: 0.005 | global_batch_size: 2 | global_step: 9 | "
                        + "reduced_train_loss: 5952 | consumed_samples: 20",
                "Training epoch 0, iteration 10/49 | lr: 0.005 | global_batch_size: 2 | global_step: 10 | "
                        + "reduced_train_loss: 5152 | consumed_samples: 22 | val_loss: 4.981e+03 | val_acc: 0.136",
                "Training epoch 0, iteration 11/49 | lr: 0.005 | global_batch_size: 2 | global_step: 11 | "
                        + "reduced_train_loss: 1104 | consumed_samples: 24 | val_loss: 4.981e+03 | val_acc: 0.136");
        assertThat(Feed.steps(r)).containsExactly(9L, 10L, 11L);
        assertThat(r.get(1).get("val_loss").asDouble()).isEqualTo(4981.0);
        assertThat(r.get(2).has("val_loss")).isFalse();
    }

    @Test
    void checkpointsOncePerStepAndTheEnd() {
        List<JsonNode> e = Feed.events(Feed.parser("nemo"),
                "Epoch 0, global step 19: 'val_loss' reached 4981.33350 (best 4981.33350), saving model to "
                        + "'/ckpt/checkpoint-step=19-consumed_samples=40.0.ckpt' as top 2",
                "[NeMo I 2025-05-13 21:57:53 nemo_logging:393] Successfully saved checkpoint from iteration      19"
                        + " to /ckpt/checkpoint-step=19-consumed_samples=40.0.ckpt",
                "`Trainer.fit` stopped: `max_steps=50` reached.");
        assertThat(e).extracting(x -> x.get("type").asText() + "@" + x.path("step").asLong(-1))
                .containsExactly("checkpoint@19", "end@-1");
    }

    @Test
    void barKeysWithSpaces() {
        JsonNode r = Feed.metrics(Feed.parser("nemo"), "Epoch 0: : 100%|██████████| 50/50 [01:00<00:00, "
                + "reduced_train_loss=2.310, global_step=49.00, consumed_samples=400.0, train_step_timing in s=1.150]")
                .get(0);
        assertThat(r.get("step").asLong()).isEqualTo(49);
        assertThat(r.get("step_time_s").asDouble()).isEqualTo(1.15);
    }
}
