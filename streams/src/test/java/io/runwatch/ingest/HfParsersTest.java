package io.runwatch.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.contract.InputParser;
import java.util.List;
import org.junit.jupiter.api.Test;

class HfParsersTest {
    @Test
    void stdoutDictsAreOrdinalStepsWithBareNan() {
        // AnswerDotAI/ModernBERT issue 233: loss 0.0 with grad_norm nan.
        List<JsonNode> r = Feed.metrics(Feed.parser("hf"),
                "{'loss': 0.2051, 'grad_norm': nan, 'learning_rate': 9.774074342405685e-06, 'epoch': 0.53}",
                "{'loss': 0.0, 'grad_norm': nan, 'learning_rate': 9.773696745450087e-06, 'epoch': 0.53}",
                "{'loss': 0.0, 'grad_norm': nan, 'learning_rate': 9.773696745450087e-06, 'epoch': 0.53}");
        assertThat(Feed.steps(r)).containsExactly(1L, 2L, 3L);
        assertThat(r.get(1).get("loss").asDouble()).isZero();
        assertThat(r.get(1).get("grad_norm").asDouble()).isNaN();
        assertThat(r.get(0).get("lr").asDouble()).isEqualTo(9.774074342405685e-06);
        assertThat(r.get(0).get("step_source").asText()).isEqualTo("ordinal");
    }

    @Test
    void aDictGluedToAProgressBarAndOldVersionsWithoutGradNorm() {
        List<JsonNode> r = Feed.metrics(Feed.parser("hf"), " 84%|████████▍ | 320/380 [1:27:33<14:12, 14.21s/it]"
                + "{'loss': 1.2607, 'learning_rate': 6.31578947368421e-06, 'epoch': 0.03}");
        assertThat(r.get(0).get("loss").asDouble()).isEqualTo(1.2607);
        assertThat(r.get(0).has("grad_norm")).isFalse();
    }

    @Test
    void evalLossIsValLossAtTheLastOrdinalAndTrainRuntimeIsTheEnd() {
        List<ContractRecord> records = Feed.lines(Feed.parser("hf"),
                "{'loss': 0.4738, 'grad_norm': 1.29, 'learning_rate': 6.99e-05, 'epoch': 0.05}",
                "{'eval_loss': 0.516632080078125, 'eval_log_loss': 1.03, 'eval_runtime': 642.6, 'epoch': 0.05}",
                "Saving model checkpoint to output/toasty-sponge-403/checkpoint-200",
                "{'train_runtime': 1234.5, 'train_samples_per_second': 3.2, 'train_loss': 0.61, 'epoch': 1.0}");
        assertThat(records).hasSize(4);
        JsonNode val = Feed.json(records.get(1));
        assertThat(val.get("step").asLong()).isEqualTo(1);
        assertThat(val.get("val_loss").asDouble()).isEqualTo(0.516632080078125);
        assertThat(val.has("loss")).isFalse();
        assertThat(Feed.json(records.get(2)).get("step").asLong()).isEqualTo(200);
        assertThat(records.get(3).kind()).isEqualTo(InputParser.Kind.EVENTS);
        assertThat(Feed.json(records.get(3)).get("type").asText()).isEqualTo("end");
    }

    @Test
    void aFrameworksLoggerCopyOfTheDictIsOneStep() {
        List<JsonNode> r = Feed.metrics(Feed.parser("hf"),
                "[INFO|callbacks.py:310] 2024-06-20 10:00:00,000 >> {'loss': 0.8534, 'learning_rate': 4.9e-05, "
                        + "'epoch': 0.02}",
                "{'loss': 0.8534, 'grad_norm': 1.5, 'learning_rate': 4.9e-05, 'epoch': 0.02}",
                "{'loss': 0.8534, 'grad_norm': 1.4, 'learning_rate': 4.8e-05, 'epoch': 0.02}");
        assertThat(Feed.steps(r)).containsExactly(1L, 2L);
    }

    @Test
    void argumentDumpsAreNotMetrics() {
        LineOutcome o = Feed.parser("hf").accept("accelerator_config={'split_batches': False, 'dispatch_batches': "
                + "None},");
        assertThat(o.status()).isEqualTo(LineOutcome.Status.UNPARSED);
        assertThat(o.records()).isEmpty();
    }

    static final String STATE = "{\r\n  \"best_metric\": null,\r\n  \"global_step\": 30,\r\n  \"log_history\": [\r\n"
            + "    {\"epoch\": 0.1, \"grad_norm\": NaN, \"learning_rate\": 1e-05, \"loss\": 1.5, \"step\": 10},\r\n"
            + "    {\"epoch\": 0.2, \"eval_loss\": 1.4, \"eval_runtime\": 3.0, \"step\": 15},\r\n"
            + "    {\"epoch\": 0.2, \"learning_rate\": 2e-05, \"loss\": 1.25, \"step\": 20},\r\n"
            + "    {\"epoch\": 0.3, \"eval_squad_loss\": 1.1, \"step\": 20},\r\n"
            + "    {\"predict_loss\": 1.0, \"predict_runtime\": 2.0},\r\n"
            + "    {\"epoch\": 0.3, \"step\": 30, \"total_flos\": 1e15, \"train_loss\": 1.3, \"train_runtime\": 99.0}\r\n"
            + "  ]\r\n}\r\n";

    @Test
    void trainerStateGivesRealStepsEvaluationsAndTheEnd() {
        List<ContractRecord> records = HfTrainerState.records(STATE, "r", -1);
        assertThat(records).extracting(ContractRecord::step).containsExactly(10L, 15L, 20L, 20L, 30L);
        assertThat(Feed.json(records.get(0)).get("grad_norm").asDouble()).isNaN();
        assertThat(Feed.json(records.get(1)).get("val_loss").asDouble()).isEqualTo(1.4);
        assertThat(Feed.json(records.get(3)).get("val_loss_squad").asDouble()).isEqualTo(1.1);
        assertThat(records.get(4).kind()).isEqualTo(InputParser.Kind.EVENTS);
        assertThat(Feed.json(records.get(2)).has("train_loss")).isFalse();
    }

    @Test
    void trainerStateSendsOnlyStepsAfterTheOnesAlreadySent() {
        assertThat(HfTrainerState.records(STATE, "r", 15)).extracting(ContractRecord::step)
                .containsExactly(20L, 20L, 30L);
        assertThat(HfTrainerState.read("{\"no\": 1}", "r", -1).ok()).isFalse();
        assertThat(HfTrainerState.records("not json", "r", -1)).isEmpty();
    }

    @Test
    void trainerStateFedLineByLineThenRewrittenSendsOnlyTheNewEntries() {
        TrainerLogParser p = Feed.parser("hf-state");
        String first = STATE.replace("    {\"epoch\": 0.3, \"step\": 30, \"total_flos\": 1e15, \"train_loss\": 1.3, "
                + "\"train_runtime\": 99.0}\r\n", "    {\"epoch\": 0.25, \"loss\": 1.2, \"step\": 25}\r\n");
        List<ContractRecord> sent = Feed.lines(p, new LineSplitter().feed(first).toArray(String[]::new));
        assertThat(sent).extracting(ContractRecord::step).containsExactly(10L, 15L, 20L, 20L, 25L);
        List<ContractRecord> again = Feed.lines(p, new LineSplitter().feed(STATE).toArray(String[]::new));
        assertThat(again).extracting(ContractRecord::step).containsExactly(30L);
    }
}
