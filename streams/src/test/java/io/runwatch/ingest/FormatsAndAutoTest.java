package io.runwatch.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.contract.InputParser;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FormatsAndAutoTest {
    @Test
    void everyNameMakesAParserThatAnswersToIt() {
        for (String name : TrainerLogFormats.NAMES) {
            TrainerLogParser p = TrainerLogFormats.create(name, "r", Map.of());
            assertThat(p.format()).isEqualTo(name);
        }
        assertThat(TrainerLogFormats.create("neox", "r", null).format()).isEqualTo("megatron");
        assertThat(TrainerLogFormats.create("metaseq", "r", null).format()).isEqualTo("fairseq");
        assertThatThrownBy(() -> TrainerLogFormats.create("tensorboard", "r", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("megatron");
    }

    @Test
    void parsesTheKvMap() {
        assertThat(TrainerLogFormats.parseMap("loss=train/CE, step=iter")).containsExactly(
                Map.entry("loss", "train/CE"), Map.entry("step", "iter"));
        assertThat(TrainerLogFormats.parseMap(null)).isEmpty();
        assertThatThrownBy(() -> TrainerLogFormats.parseMap("loss")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void detectsEachFormatFromOneOfItsLines() {
        Map<String, String> lines = Map.ofEntries(
                Map.entry(MegatronParserTest.TR8_7000, "megatron"),
                Map.entry("Training epoch 0, iteration 10/49 | lr: 0.005 | global_step: 10 | reduced_train_loss: 5",
                        "nemo"),
                Map.entry("{'loss': 0.2051, 'grad_norm': nan, 'learning_rate': 9.7e-06, 'epoch': 0.53}", "hf"),
                Map.entry("  \"log_history\": [", "hf-state"),
                Map.entry("Epoch 1 | iter 2 step 1 | loss train: 1.660, val: n/a | iter time: 548.72 ms (step)",
                        "litgpt"),
                Map.entry("05/04 08:52:19 - mmengine - INFO - Iter(train) [  20/1920]  lr: 6.7858e-05  loss: 2.8",
                        "mmengine"),
                Map.entry("iter 3000: loss 4.2490, time 35392.33ms, mfu 13.85%", "nanogpt"),
                Map.entry("s:0 trl:11.0091 lr:0.000001 norm:15.37", "llmc"),
                Map.entry("step:1/6200 train_loss:10.9184 train_time:74701ms step_avg:nanms", "modded-nanogpt"),
                Map.entry("[titan] 2025-06-16 22:30:50,322 - root - INFO - step: 200  loss:  6.1384  tps: 5,856",
                        "torchtitan"),
                Map.entry("2020-12-17 11:13:54 | INFO | train_inner | epoch 001:      1 / 50000 loss=16.264", "fairseq"),
                Map.entry("2024-08-06 09:59:26.181 host:0  olmo.train:908  INFO    [step=1/739328,epoch=0]", "olmo"),
                Map.entry("10/17/2025 16:31:56 [INFO|DP=0|PP=0|TP=0]: iteration: 3 / 10 | lm_loss: 2.38", "nanotron"),
                Map.entry("{\"run\": \"a\", \"step\": 1, \"loss\": 2.5}", "jsonl"));
        lines.forEach((line, format) -> assertThat(TrainerLogFormats.detect(line)).as(line).isEqualTo(format));
        assertThat(TrainerLogFormats.detect("wandb: Tracking run with wandb version 0.16.6")).isNull();
        assertThat(TrainerLogFormats.detect("  iteration ....................... None")).isNull();
    }

    @Test
    void autoFeedsTheLinesBeforeTheDecisionToTheChosenParser() {
        TrainerLogParser auto = Feed.parser("auto");
        String overflow = "[2022-01-19 13:09:13,305] [INFO] [stage_1_and_2.py:1644:step] [deepscale] OVERFLOW! Rank 0 "
                + "Skipping step. Attempted loss scale: 1048576.0, reducing to 1048576.0";
        LineOutcome before = auto.accept(overflow);
        assertThat(before.status()).isEqualTo(LineOutcome.Status.UNPARSED);
        assertThat(auto.format()).isEqualTo("auto");
        List<ContractRecord> records = auto.accept(MegatronParserTest.TR8_7000).records();
        assertThat(auto.format()).isEqualTo("megatron");
        assertThat(Feed.json(records.get(0)).get("skipped_steps").asDouble()).isEqualTo(1);
    }

    @Test
    void jsonlPassesContractLinesThroughAndFillsTheRunWhenAbsent() {
        TrainerLogParser p = TrainerLogFormats.create("jsonl", "from-flag", null);
        List<ContractRecord> r = Feed.lines(p,
                "{\"run\": \"own\", \"step\": 3, \"loss\": NaN}",
                "{\"step\": 4, \"loss\": 2.5}",
                "{\"run\": \"own\", \"type\": \"checkpoint\", \"step\": 4}",
                "{\"run\": \"own\", \"step\": 4, \"benchmark\": \"arc_easy\", \"value\": 0.5}");
        assertThat(r).extracting(ContractRecord::run).containsExactly("own", "from-flag", "own", "own");
        assertThat(r).extracting(ContractRecord::kind).containsExactly(InputParser.Kind.METRICS,
                InputParser.Kind.METRICS, InputParser.Kind.EVENTS, InputParser.Kind.EVALS);
        assertThat(r.get(0).json()).isEqualTo("{\"run\": \"own\", \"step\": 3, \"loss\": NaN}");
        assertThat(p.accept("{\"run\": \"own\", \"step\": -1}").status()).isEqualTo(LineOutcome.Status.UNPARSED);
        assertThat(p.accept("not json").status()).isEqualTo(LineOutcome.Status.UNPARSED);
    }

    @Test
    void kvReadsNamedFieldsThroughTheMap() {
        TrainerLogParser p = TrainerLogFormats.create("kv", "r",
                TrainerLogFormats.parseMap("loss=train/CE,step=iter,step_time_s=dt"));
        List<JsonNode> r = Feed.metrics(p, "iter=10/1000 train/CE=2.5 grad_norm: 1,234.5 dt=120ms",
                "INFO epoch 1 iter: 20 train/CE: nan lr=1e-4", "no step here: loss=3");
        assertThat(Feed.steps(r)).containsExactly(10L, 20L);
        assertThat(r.get(0).get("loss").asDouble()).isEqualTo(2.5);
        assertThat(r.get(0).get("grad_norm").asDouble()).isEqualTo(1234.5);
        assertThat(r.get(0).get("step_time_s").asDouble()).isEqualTo(0.12);
        assertThat(r.get(1).get("loss").asDouble()).isNaN();
        assertThat(r.get(1).get("lr").asDouble()).isEqualTo(1e-4);
    }
}
