package io.runwatch.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** nanoGPT, llm.c and modded-nanogpt: the one-line-per-step research trainers. */
class SmallTrainersTest {
    @Test
    void nanoGptEvaluationJoinsTheIterationOfItsStep() {
        // karpathy/nanoGPT issue 215 (timestamps added by the user's shell).
        List<JsonNode> r = Feed.metrics(Feed.parser("nanogpt"),
                "2023-03-22 09:32:32 step 3000: train loss 4.0390, val loss 4.0427",
                "2023-03-22 09:32:41 iter 3000: loss 4.2490, time 35392.33ms, mfu 13.85%",
                "2023-03-22 09:32:52 iter 3010: loss nan, time 1019.95ms, mfu 14.12%",
                "iter 0: loss 10.9, time 900.00ms, mfu -100.00%");
        assertThat(Feed.steps(r)).containsExactly(3000L, 3010L, 0L);
        assertThat(r.get(0).get("val_loss").asDouble()).isEqualTo(4.0427);
        assertThat(r.get(0).get("step_time_s").asDouble()).isCloseTo(35.39233, within(1e-9));
        assertThat(r.get(0).get("time").asText()).isEqualTo("2023-03-22T09:32:41Z");
        assertThat(r.get(1).get("loss").asDouble()).isNaN();
        assertThat(r.get(2).has("mfu_pct")).as("the EMA's -100% start is no value").isFalse();
    }

    @Test
    void llmcMainLogAndStdout() {
        List<JsonNode> r = Feed.metrics(Feed.parser("llmc"),
                "s:0 tel:11.0092",
                "s:0 trl:11.0091 lr:0.000001 norm:15.37",
                "s:1 trl:10.9598 lr:0.000002 norm:15.24",
                "s:2 trl:10.543272");
        assertThat(Feed.steps(r)).containsExactly(0L, 1L, 2L);
        assertThat(r.get(0).get("val_loss").asDouble()).isEqualTo(11.0092);
        assertThat(r.get(0).get("grad_norm").asDouble()).isEqualTo(15.37);
        assertThat(r.get(1).get("lr").asDouble()).isEqualTo(0.000002);
        assertThat(r.get(2).has("grad_norm")).isFalse();

        JsonNode s = Feed.metrics(Feed.parser("llmc"), "val loss 3.2722",
                "step   61/74 | loss 3.208939 (+nanz)| norm 1.4800 (+nanz)| lr 3.00e-04 | 44.57 ms | -100.0% bf16 MFU"
                        + " | 91886 tok/s").get(0);
        assertThat(s.get("step").asLong()).isEqualTo(61);
        assertThat(s.get("loss").asDouble()).isEqualTo(3.208939);
        assertThat(s.get("grad_norm").asDouble()).isEqualTo(1.48);
        assertThat(s.get("step_time_s").asDouble()).isCloseTo(0.04457, within(1e-12));
        assertThat(s.get("tokens_per_s").asDouble()).isEqualTo(91886);
        assertThat(s.get("val_loss").asDouble()).isEqualTo(3.2722);
        assertThat(s.has("mfu_pct")).isFalse();
    }

    @Test
    void moddedNanoGptTrainAndValidationLines() {
        List<JsonNode> r = Feed.metrics(Feed.parser("modded-nanogpt"),
                "step:0/6200 val_loss:10.9264 train_time:285ms step_avg:nanms",
                "step:1/6200 train_loss:10.9184 train_time:74701ms step_avg:nanms",
                "step:125/3600 train_loss:4.7000 train_time:22.000s step_avg:177.00ms",
                "step:125/3600 val_loss:4.60783 train_time:22.151s step_avg:177.21ms");
        assertThat(Feed.steps(r)).as("a validation at a step with no training line is not sent")
                .containsExactly(1L, 125L, 125L);
        assertThat(r.get(0).get("train_time_s").asDouble()).isCloseTo(74.701, within(1e-9));
        assertThat(r.get(1).get("train_time_s").asDouble()).isEqualTo(22.0);
        assertThat(r.get(2).get("val_loss").asDouble()).isEqualTo(4.60783);
        assertThat(r.get(2).has("loss")).isFalse();

        JsonNode fork = Feed.metrics(Feed.parser("modded-nanogpt"),
                "step:20/1000, tokens seen:1.25M, avg_train_loss:nan time:182/1147s step_avg:1147ms").get(0);
        assertThat(fork.get("loss").asDouble()).isNaN();
        assertThat(fork.get("tokens").asDouble()).isEqualTo(1_250_000);
    }

    @Test
    void theTrainingScriptAtTheTopOfAModdedNanoGptLogIsNotParsed() {
        TrainerLogParser p = Feed.parser("modded-nanogpt");
        assertThat(p.accept("        print0(f'step:{step}/{train_steps} val_loss:{val_loss:.4f} train_time:"
                + "{training_time_ms:.0f}ms')").status()).isEqualTo(LineOutcome.Status.UNPARSED);
        assertThat(Feed.events(p, "peak memory consumption: 31567 MiB")).hasSize(1);
    }

    @Test
    void olderLlmcStdoutShapes() {
        List<JsonNode> r = Feed.metrics(Feed.parser("llmc"),
                "step 1/74: train loss 4.367631 norm 1.7315 lr 3.00e-04 (4123.45 ms, 127 tok/s)",
                "step 2: train loss 4.200000 (took 1234.5 ms)");
        assertThat(Feed.steps(r)).containsExactly(1L, 2L);
        assertThat(r.get(0).get("grad_norm").asDouble()).isEqualTo(1.7315);
        assertThat(r.get(0).get("tokens_per_s").asDouble()).isEqualTo(127);
        assertThat(r.get(1).get("step_time_s").asDouble()).isCloseTo(1.2345, within(1e-12));
        assertThat(TrainerLogFormats.detect("step 2: train loss 4.200000 (took 1234.5 ms)")).isEqualTo("llmc");
    }
}
