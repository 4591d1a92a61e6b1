package io.runwatch.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class MegatronParserTest {
    /** bigscience tr8-104B chronicles: a healthy fp16 line. */
    static final String TR8_7000 = " iteration     7000/  159576 | consumed samples:       260912 | elapsed time per "
            + "iteration (ms): 18706.1 | learning rate: 6.000E-05 | global batch size:    96 | lm loss: 6.444662E+00 | "
            + "loss scale: 2048.0 | grad norm: 98258.265 | num zeros: 0.0 | number of skipped iterations:   0 | "
            + "number of nan iterations:   0 |";

    @Test
    void readsEveryFieldOfAnIterationLine() {
        JsonNode r = Feed.metrics(Feed.parser("megatron"), TR8_7000).get(0);
        assertThat(r.get("step").asLong()).isEqualTo(7000);
        assertThat(r.get("loss").asDouble()).isEqualTo(6.444662);
        assertThat(r.get("grad_norm").asDouble()).isEqualTo(98258.265);
        assertThat(r.get("lr").asDouble()).isEqualTo(6.0e-5);
        assertThat(r.get("loss_scale").asDouble()).isEqualTo(2048.0);
        assertThat(r.get("step_time_s").asDouble()).isCloseTo(18.7061, within(1e-9));
        assertThat(r.get("skipped_steps").asDouble()).isZero();
        assertThat(r.has("time")).isFalse();
    }

    @Test
    void aCompleteLineWithoutTheLossIsANanLoss() {
        // tr8-104B iteration 9027: the loss went NaN and Megatron dropped the field (nan >= 0.0 is false).
        JsonNode r = Feed.metrics(Feed.parser("megatron"), " iteration     9027/  159576 | consumed samples:       "
                + "540656 | elapsed time per iteration (ms): 63274.6 | learning rate: 6.000E-05 | global batch size:   "
                + "192 | loss scale: 8192.0 | grad norm: 20609.780 | num zeros: 0.0 | number of skipped iterations:   0"
                + " | number of nan iterations:   0 |").get(0);
        assertThat(r.get("loss").isNumber()).isTrue();
        assertThat(r.get("loss").asDouble()).isNaN();
    }

    @Test
    void anIntervalSkippedWholeByTheFp16ScalerHasNoLossNotANan() {
        // bigscience gpt2 n8: every one of the 10 iterations skipped while the scale came down.
        JsonNode r = Feed.metrics(Feed.parser("megatron"), " iteration       10/    1000 | consumed samples:      "
                + "     40 | elapsed time per iteration (ms): 3171.3 | learning rate: 0.000E+00 | global batch size:     4 "
                + "| loss scale: 8388608.0 | number of skipped iterations:  10 | number of nan iterations:   0 |").get(0);
        assertThat(r.has("loss")).isFalse();
        assertThat(r.get("skipped_steps").asDouble()).isEqualTo(10);
    }

    @Test
    void skippedIterationsWithNanIterationsAreANanLoss() {
        JsonNode r = Feed.metrics(Feed.parser("megatron"), " iteration      400/    1000 | learning rate: 1.0E-04 |"
                + " loss scale: 1.0 | grad norm: nan | number of skipped iterations:   1 | number of nan iterations:   1 |")
                .get(0);
        assertThat(r.get("loss").asDouble()).isNaN();
        assertThat(r.get("grad_norm").asDouble()).isNaN();
    }

    @Test
    void readsTheLossKeySpellingsAndNotOtherLosses() {
        TrainerLogParser p = Feed.parser("megatron");
        List<JsonNode> r = Feed.metrics(p,
                " iteration        1/    1000 | lm-loss: 1.244238E+01 | loss scale: -1.0 | grad norm: 0.000 |",
                " samples/sec: 36.917 | iteration       10/   11000 | elapsed time per iteration (ms): 1950.3 | "
                        + "learning rate: 1.364E-04 | approx flops per GPU: 59.4TFLOPS | lm_loss: 1.138677E+01 | "
                        + "number of skipped iterations:   0 | number of nan iterations:   0 |",
                " iteration       20/   1000 | learning rate 1.500E-04 | lm loss 6.791929E+00 | loss scale 131072.0 |",
                " iteration       30/ 1000 | lm loss: 1.068580E+01 | moe loss: 8.526326E-02 | loss scale: 2048.0 |");
        assertThat(r.get(0).get("loss").asDouble()).isEqualTo(12.44238);
        assertThat(r.get(1).get("loss").asDouble()).isEqualTo(11.38677);
        assertThat(r.get(2).get("loss").asDouble()).isEqualTo(6.791929);
        assertThat(r.get(2).get("loss_scale").asDouble()).isEqualTo(131072.0);
        assertThat(r.get(3).get("loss").asDouble()).isEqualTo(10.6858);
        assertThat(r.get(3).get("moe_loss").asDouble()).isEqualTo(0.08526326);
    }

    @Test
    void placeholdersAreNotMeasurements() {
        // Megatron-DeepSpeed with DeepSpeed owning the scaler: loss scale -1.0 and grad norm 0.000 on every line.
        JsonNode r = Feed.metrics(Feed.parser("megatron"), " iteration        1/    1000 | consumed samples:       "
                + "  1024 | elapsed time per iteration (ms): 159778.9 | learning rate: 1.875E-05 | global batch size:  "
                + "1024 | lm-loss: 1.244238E+01 | loss scale: -1.0 | grad norm: 0.000 | num zeros: 0.0 | number of "
                + "skipped iterations:   0 | number of nan iterations:   0 |").get(0);
        assertThat(r.has("loss_scale")).isFalse();
        assertThat(r.has("grad_norm")).isFalse();
        assertThat(r.get("step_time_s").asDouble()).isCloseTo(159.7789, within(1e-9));
    }

    @Test
    void bloomLinesPrintSecondsAndEveryRankPrintsThemOnce() {
        String line = " iteration    31219/  115311 | consumed samples:     73584816 | elapsed time per iteration (s): "
                + "105.11 | learning rate: 5.999E-05 | global batch size:  2048 | lm loss: 5.098124E+00 | grad norm: "
                + "960.351 | num zeros: 0.0 | number of skipped iterations:   0 | number of nan iterations:   0 | "
                + "samples per second: 19.484 | TFLOPs: 147.87 |";
        List<JsonNode> r = Feed.metrics(Feed.parser("megatron"), "[default7]:" + line, "[default0]:" + line,
                "[default3]:" + line.replace("19.484", "19.485"));
        assertThat(r).hasSize(1);
        assertThat(r.get(0).get("step_time_s").asDouble()).isEqualTo(105.11);
        assertThat(r.get(0).has("loss_scale")).isFalse();
    }

    @Test
    void aRelaunchThatRepeatsStepsIsKeptAsARewind() {
        TrainerLogParser p = Feed.parser("megatron");
        String ten = " iteration       10/   11000 | lm_loss: 1.138677E+01 | number of skipped iterations:   0 | "
                + "number of nan iterations:   0 |";
        String twenty = ten.replace("      10/", "      20/");
        String[] relaunch = new String[40];
        for (int i = 0; i < relaunch.length; i++) {
            relaunch[i] = "  config_option_" + i + " ........ value";
        }
        List<Long> steps = new java.util.ArrayList<>();
        steps.addAll(Feed.steps(Feed.metrics(p, ten, twenty)));
        steps.addAll(Feed.steps(Feed.metrics(p, relaunch)));
        steps.addAll(Feed.steps(Feed.metrics(p, ten, twenty)));
        assertThat(steps).containsExactly(10L, 20L, 10L, 20L);
    }

    @Test
    void validationGivesValLossAtItsStep() {
        List<JsonNode> r = Feed.metrics(Feed.parser("megatron"), TR8_7000,
                " validation loss at iteration 7000 | lm loss value: 7.174200E+00 | lm loss PPL: 1.305315E+03 | ");
        assertThat(r).hasSize(2);
        assertThat(r.get(1).get("step").asLong()).isEqualTo(7000);
        assertThat(r.get(1).get("val_loss").asDouble()).isEqualTo(7.1742);
        assertThat(r.get(1).has("loss")).isFalse();
    }

    @Test
    void deepSpeedOverflowLinesCountIntoTheNextIterationsSkippedSteps() {
        String overflow = "[2022-01-19 13:09:13,305] [INFO] [stage_1_and_2.py:1644:step] [deepscale] OVERFLOW! Rank 0 "
                + "Skipping step. Attempted loss scale: 1048576.0, reducing to 1048576.0";
        String noOverflow = "[2022-01-19 13:09:13,305] [INFO] [fused_optimizer.py:345:_update_scale] No Grad overflow "
                + "for 500 iterations";
        List<JsonNode> r = Feed.metrics(Feed.parser("megatron"), overflow, TR8_7000, noOverflow,
                TR8_7000.replace("7000/", "7001/"));
        assertThat(r.get(0).get("skipped_steps").asDouble()).isEqualTo(1);
        assertThat(r.get(0).get("loss").asDouble()).isEqualTo(6.444662);
        assertThat(r.get(1).get("skipped_steps").asDouble()).isZero();
    }

    @Test
    void aLineCutOffMidWriteIsNotARecord() {
        TrainerLogParser p = Feed.parser("megatron");
        LineOutcome outcome = p.accept(" iteration     7000/  159576 | consumed samples:       260912 | lm loss: 8.");
        assertThat(outcome.status()).isEqualTo(LineOutcome.Status.UNPARSED);
        assertThat(outcome.records()).isEmpty();
    }

    @Test
    void checkpointsAndTheEnd() {
        List<JsonNode> events = Feed.events(Feed.parser("megatron"), TR8_7000,
                "saving checkpoint at iteration    7000 to /checkpoints/tr8",
                "  successfully saved checkpoint at iteration    7000 to /checkpoints/tr8",
                "[2023-04-01 10:00:00,000] [INFO] [logging.py:96:log_dist] [Rank 0] Saving model checkpoint: "
                        + "/ckpt/global_step8000/mp_rank_00_model_states.pt",
                "[after training is done] datetime: 2023-04-01 11:00:00");
        assertThat(events).extracting(e -> e.get("type").asText() + "@" + e.path("step").asLong())
                .containsExactly("checkpoint@7000", "checkpoint@8000", "end@7000");
    }

    @Test
    void currentMegatronTimestampsBecomeTheRecordTime() {
        JsonNode r = Feed.metrics(Feed.parser("megatron"), " [2024-05-01 10:00:00] iteration      100/    1000 | "
                + "lm loss: 2.000000E+00 | grad norm: 1.234 | number of skipped iterations:   0 | number of nan "
                + "iterations:   0 |").get(0);
        assertThat(r.get("time").asText()).isEqualTo("2024-05-01T10:00:00Z");
        assertThat(r.get("grad_norm").asDouble()).isEqualTo(1.234);
    }
}
