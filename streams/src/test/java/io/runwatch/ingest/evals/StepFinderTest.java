package io.runwatch.ingest.evals;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.contract.Json;
import org.junit.jupiter.api.Test;

class StepFinderTest {

    @Test
    void checkpointNamesThatTrainersAndHarnessesWrite() {
        assertThat(StepFinder.fromName("160m_step0.json")).contains(0L);
        assertThat(StepFinder.fromName("160m-5shot_step3000.json")).contains(3000L);
        assertThat(StepFinder.fromName("step_200.json")).contains(200L);
        assertThat(StepFinder.fromName("checkpoint-1000")).contains(1000L);
        assertThat(StepFinder.fromName("global_step500")).contains(500L);
        assertThat(StepFinder.fromName("epoch_3")).contains(3L);
        assertThat(StepFinder.fromName("iter_0001000")).contains(1000L);
        assertThat(StepFinder.fromName("ckpt-42")).contains(42L);
        assertThat(StepFinder.fromName("1000")).contains(1000L);
        assertThat(StepFinder.fromName("2000.json")).contains(2000L);
    }

    @Test
    void timestampsModelSizesAndWordsThatContainStepAreNotSteps() {
        assertThat(StepFinder.fromName("eval_results_02-16-2023-01-09-59.json")).isEmpty();
        assertThat(StepFinder.fromName("results_2024-04-18T10-11-20.123456.json")).isEmpty();
        assertThat(StepFinder.fromName("pythia-v1.1-160m")).isEmpty();
        assertThat(StepFinder.fromName("mystep5")).isEmpty();
        assertThat(StepFinder.fromName("before_train.json")).isEmpty();
        assertThat(StepFinder.fromName("v2")).isEmpty();
    }

    @Test
    void theFileNameWinsOverItsDirectoriesAndTheNearestDirectoryOverFartherOnes() {
        assertThat(StepFinder.fromPath("run/checkpoint-5/step_7.json")).hasValueSatisfying(o -> {
            assertThat(o.step()).isEqualTo(7);
            assertThat(o.detail()).isEqualTo("file name step_7.json");
        });
        assertThat(StepFinder.fromPath("run/global_step9/checkpoint-1200/lm_eval/results_2024-01-01T00-00-00.json"))
                .hasValueSatisfying(o -> {
                    assertThat(o.step()).isEqualTo(1200);
                    assertThat(o.source()).isEqualTo(StepSource.PATH);
                    assertThat(o.detail()).isEqualTo("directory checkpoint-1200");
                });
        assertThat(StepFinder.fromPath("pythia-bias-winobias-410M/eval_results_02-16-2023-01-09-59.json")).isEmpty();
    }

    @Test
    void modelArgsStringsInAnyKeyOrder() {
        assertThat(StepFinder.fromModelArgs(text(
                "use_accelerate=True,pretrained=EleutherAI/pythia-v1.1-160m,revision=step1000")))
                .hasValueSatisfying(o -> {
                    assertThat(o.step()).isEqualTo(1000);
                    assertThat(o.source()).isEqualTo(StepSource.MODEL_ARGS);
                    assertThat(o.detail()).isEqualTo("revision=step1000");
                });
        assertThat(StepFinder.fromModelArgs(text("revision=step3000,pretrained=EleutherAI/pythia-160m")))
                .map(StepOrigin::step).contains(3000L);
        assertThat(StepFinder.fromModelArgs(text(
                "pretrained=experiment_ckpts/tinyllama_expanded_frez_embed-2024-04-16-223017/checkpoint-200")))
                .map(StepOrigin::step).contains(200L);
        assertThat(StepFinder.fromModelArgs(text("pretrained=EleutherAI/pythia-160m,revision=main"))).isEmpty();
        assertThat(StepFinder.fromModelArgs(text("pretrained=gpt2"))).isEmpty();
    }

    @Test
    void aNeoXConfigDictGivesItsIterationNotItsTrainIters() throws Exception {
        JsonNode config = Json.MAPPER.readTree("{\"train_iters\": 143000, \"save_iters\": [1000, 2000],"
                + " \"iteration\": 137000, \"load\": \"/fsx/hyperion/pythia/ckpts/410m_deduped\"}");
        assertThat(StepFinder.fromModelArgs(config)).hasValueSatisfying(o -> {
            assertThat(o.step()).isEqualTo(137000);
            assertThat(o.detail()).isEqualTo("config iteration=137000");
        });
        assertThat(StepFinder.fromModelArgs(Json.MAPPER.readTree("{\"pretrained\": \"/ckpt/global_step800\"}")))
                .map(StepOrigin::step).contains(800L);
    }

    @Test
    void stepFieldsAreWholeNonNegativeNumbers() throws Exception {
        assertThat(StepFinder.fromFields(Json.MAPPER.readTree("{\"step\": 1500}"))).map(StepOrigin::step)
                .contains(1500L);
        assertThat(StepFinder.fromFields(Json.MAPPER.readTree("{\"global_step\": \"2500\"}")))
                .map(StepOrigin::step).contains(2500L);
        assertThat(StepFinder.fromFields(Json.MAPPER.readTree("{\"step\": -1}"))).isEmpty();
        assertThat(StepFinder.fromFields(Json.MAPPER.readTree("{\"step\": 1.5}"))).isEmpty();
        assertThat(StepFinder.fromFields(Json.MAPPER.readTree("{\"step\": \"latest\"}"))).isEmpty();
    }

    private static JsonNode text(String s) {
        return Json.MAPPER.getNodeFactory().textNode(s);
    }
}
