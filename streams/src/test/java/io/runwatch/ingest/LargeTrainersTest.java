package io.runwatch.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** torchtitan, fairseq/metaseq, OLMo and nanotron. */
class LargeTrainersTest {
    private static final String ESC = "\u001b";

    @Test
    void torchtitanColouredLineWithSeparatorsAndNa() {
        String line = "[rank0]:[titan] 2026-05-24 20:29:04,847 - root - INFO - " + ESC + "[31mstep:  2  " + ESC
                + "[32mloss: 11.00525  " + ESC + "[38;2;180;60;0mgrad_norm: 53.0000  " + ESC + "[38;2;54;234;195m"
                + "memory: 163.69GiB(91.78%)  " + ESC + "[34mtps: 11,161  " + ESC + "[36mtflops: 940.41  " + ESC
                + "[35mmfu: N/A" + ESC + "[39m";
        List<JsonNode> r = Feed.metrics(Feed.parser("torchtitan"), line, line.replace("[rank0]", "[rank1]"));
        assertThat(r).as("every rank prints the step; one record").hasSize(1);
        JsonNode s = r.get(0);
        assertThat(s.get("step").asLong()).isEqualTo(2);
        assertThat(s.get("loss").asDouble()).isEqualTo(11.00525);
        assertThat(s.get("grad_norm").asDouble()).isEqualTo(53.0);
        assertThat(s.get("tokens_per_s").asDouble()).isEqualTo(11161);
        assertThat(s.has("mfu_pct")).isFalse();
        assertThat(s.get("time").asText()).isEqualTo("2026-05-24T20:29:04.847Z");
    }

    @Test
    void olderTorchtitanWithoutGradNormValidationAndEnd() {
        TrainerLogParser p = Feed.parser("torchtitan");
        List<ContractRecord> records = Feed.lines(p,
                "[rank0]:[titan] 2025-06-16 22:30:50,322 - root - INFO - step: 200  loss:  6.1384  memory: "
                        + "49.66GiB(52.28%)  tps: 5,856  tflops: 339.16  mfu: 34.29%",
                "[rank0]:[titan] 2025-06-16 22:30:55,000 - root - INFO - validate step: 200  loss:  6.2000",
                "[rank0]:[titan] 2025-06-16 22:31:00,000 - root - INFO - Training completed");
        assertThat(records).hasSize(3);
        assertThat(Feed.json(records.get(0)).has("grad_norm")).isFalse();
        assertThat(Feed.json(records.get(0)).get("mfu_pct").asDouble()).isEqualTo(34.29);
        assertThat(Feed.json(records.get(1)).get("val_loss").asDouble()).isEqualTo(6.2);
        assertThat(Feed.json(records.get(2)).get("type").asText()).isEqualTo("end");
    }

    @Test
    void metaseqLossIsInBitsAndTheValuesAreStrings() {
        JsonNode r = Feed.metrics(Feed.parser("fairseq"), "slurm_procid 0 : 2022-11-11 14:05:27 | INFO | train_inner |"
                + " {\"epoch\": 1, \"actv_norm\": \"0.035\", \"loss\": \"15.878\", \"ppl\": \"60214.8\", \"wps\": \"0\","
                + " \"ups\": \"0\", \"wpb\": \"1.04858e+06\", \"bsz\": \"512\", \"num_updates\": \"1\", \"lr\": "
                + "\"2.80112e-07\", \"gnorm\": \"16.981\", \"clip\": \"100\", \"train_wall\": \"12\", \"wall\": \"73\"}")
                .get(0);
        assertThat(r.get("step").asLong()).isEqualTo(1);
        assertThat(r.get("loss").asDouble()).isCloseTo(15.878 * Math.log(2), within(1e-12));
        assertThat(r.get("grad_norm").asDouble()).isEqualTo(16.981);
        assertThat(r.get("lr").asDouble()).isEqualTo(2.80112e-07);
        assertThat(r.get("time").asText()).isEqualTo("2022-11-11T14:05:27Z");
    }

    @Test
    void fairseqOverflowsValidationCheckpointAndEnd() {
        List<ContractRecord> records = Feed.lines(Feed.parser("fairseq"),
                "2021-03-08 12:33:12 | INFO | fairseq.trainer | NOTE: gradient overflow detected, ignoring gradient, "
                        + "setting loss scale to: 2.0",
                "2020-12-17 11:13:55 | INFO | train_inner | epoch 001:     10 / 50000 loss=9.331, ppl=644.03, "
                        + "wps=7457.3, ups=7.28, wpb=1024, bsz=2, num_updates=10, lr=0.0003, gnorm=2.461, "
                        + "loss_scale=128, train_wall=0, wall=2",
                "2020-12-17 11:38:15 | INFO | valid | epoch 001 | valid on 'valid' subset | loss 9.189 | ppl 583.79 |"
                        + " wps 35091.7 | wpb 1024 | bsz 2 | num_updates 10",
                "2021-03-08 12:43:15 | INFO | train | {\"epoch\": 1, \"train_loss\": \"19.351\", "
                        + "\"train_num_updates\": \"10\"}",
                "2021-03-08 12:43:20 | INFO | fairseq.checkpoint_utils | Saved checkpoint /ckpt/checkpoint_1_10.pt "
                        + "(epoch 1 @ 10 updates, score 17.953) (writing took 12.3 seconds)",
                "2021-03-08 12:43:15 | INFO | fairseq_cli.train | done training in 798.6 seconds");
        List<JsonNode> json = records.stream().map(Feed::json).toList();
        assertThat(json).hasSize(4);
        assertThat(json.get(0).get("loss").asDouble()).isCloseTo(9.331 * Math.log(2), within(1e-12));
        assertThat(json.get(0).get("skipped_steps").asDouble()).isEqualTo(1);
        assertThat(json.get(0).get("tokens_per_s").asDouble()).isEqualTo(7457.3);
        assertThat(json.get(1).get("val_loss").asDouble()).isCloseTo(9.189 * Math.log(2), within(1e-12));
        assertThat(json.get(2).get("type").asText() + json.get(2).get("step")).isEqualTo("checkpoint10");
        assertThat(json.get(3).get("type").asText()).isEqualTo("end");
    }

    @Test
    void olmoBlocksEndAtTheNextHeaderOrFlush() {
        TrainerLogParser p = Feed.parser("olmo");
        List<JsonNode> r = Feed.metrics(p,
                "    System/Peak GPU Memory (MB)=6,784",
                "2024-08-06 09:59:26.181 intern-studio-160750:0  olmo.train:908  INFO    [step=1/739328,epoch=0]",
                "    optim/total_grad_norm=231.7",
                "    train/CrossEntropyLoss=12.18",
                "    train/Perplexity=195,153",
                "    throughput/device/tokens_per_second=26,668",
                "2024-08-06 10:00:05.520 intern-studio-160750:0  olmo.train:908  INFO    [step=2/739328]",
                "    optim/total grad norm=0.0002",
                "    train/CE loss=1.7872662283480167e-06");
        assertThat(Feed.steps(r)).containsExactly(1L, 2L);
        assertThat(r.get(0).get("loss").asDouble()).isEqualTo(12.18);
        assertThat(r.get(0).get("tokens_per_s").asDouble()).isEqualTo(26668);
        assertThat(r.get(0).get("time").asText()).isEqualTo("2024-08-06T09:59:26.181Z");
        assertThat(r.get(1).get("grad_norm").asDouble()).isEqualTo(0.0002);
        assertThat(r.get(1).get("loss").asDouble()).isEqualTo(1.7872662283480167e-06);
    }

    @Test
    void nanotronSuffixesAndMilliseconds() {
        JsonNode r = Feed.metrics(Feed.parser("nanotron"), "10/17/2025 16:31:56 [INFO|DP=0|PP=0|TP=0]: iteration: "
                + "327281 / 378950 | consumed_tokens: 85.8G | elapsed_time_per_iteration_ms: 11.5K | tokens_per_sec: "
                + "22.8K | tokens_per_sec_per_gpu: 11.4K | global_batch_size: 64 | lm_loss: 2.38 | lr: 1e-05 | "
                + "model_tflops_per_gpu: 38.3 | hardware_tflops_per_gpu: 38.3 | grad_norm: 1.25").get(0);
        assertThat(r.get("step").asLong()).isEqualTo(327281);
        assertThat(r.get("loss").asDouble()).isEqualTo(2.38);
        assertThat(r.get("tokens").asDouble()).isEqualTo(85.8e9, within(1.0));
        assertThat(r.get("step_time_s").asDouble()).isCloseTo(11.5, within(1e-9));
        assertThat(r.get("tokens_per_s").asDouble()).isCloseTo(22800, within(1e-6));
        assertThat(r.get("time").asText()).isEqualTo("2025-10-17T16:31:56Z");
    }

    @Test
    void fairseqHydraLoggerAndOlmoCoreHeaders() {
        JsonNode f = Feed.metrics(Feed.parser("fairseq"), "[2021-03-08 12:31:36,123][train_inner][INFO] - {\"epoch\": "
                + "1, \"update\": 0.0, \"loss\": \"16.475\", \"num_updates\": \"1\", \"lr\": \"2e-05\", "
                + "\"gnorm\": \"20.751\"}").get(0);
        assertThat(f.get("loss").asDouble()).isCloseTo(16.475 * Math.log(2), within(1e-12));
        assertThat(f.get("time").asText()).isEqualTo("2021-03-08T12:31:36.123Z");

        List<JsonNode> o = Feed.metrics(Feed.parser("olmo"),
                "2025-01-10 10:00:00.000 host:0  olmo_core.train:1  INFO    [step=5/100,epoch=0,tokens=20M]",
                "    train/CE loss=2.345",
                "    optim/LR (group 0)=0.0004",
                "    throughput/device/TPS=12,345");
        assertThat(o.get(0).get("step").asLong()).isEqualTo(5);
        assertThat(o.get(0).get("lr").asDouble()).isEqualTo(4e-4);
        assertThat(o.get(0).get("tokens_per_s").asDouble()).isEqualTo(12345);
    }
}
