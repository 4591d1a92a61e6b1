package io.runwatch.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.core.RunInput;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Issue 17's contract fields: {@code skipped_steps} on metrics, {@code config.precision} on the start event. */
class Fp16ContractTest {
    private final InputParser parser = new InputParser(4096);

    private ParseResult parse(InputParser.Kind kind, String json) {
        return parser.parse(kind, json.getBytes(StandardCharsets.UTF_8), 1_000);
    }

    @Test
    void skippedStepsIsANumberAtLeastZeroAndSurvivesTheRoundTrip() {
        ParseResult ok = parse(InputParser.Kind.METRICS,
                "{\"run\":\"r\",\"step\":10,\"loss_scale\":8388608.0,\"skipped_steps\":10}");
        assertThat(ok.input().metric().skippedSteps()).isEqualTo(10.0);
        assertThat(ok.input().metric().extras()).doesNotContainKey("skipped_steps");
        RunInput again = parse(InputParser.Kind.METRICS, InputJson.write(ok.input())).input();
        assertThat(again.metric().skippedSteps()).isEqualTo(10.0);

        assertThat(parse(InputParser.Kind.METRICS, "{\"run\":\"r\",\"step\":1,\"skipped_steps\":-1}").rejection().reason())
                .isEqualTo(Rejection.INVALID_VALUE);
        assertThat(parse(InputParser.Kind.METRICS, "{\"run\":\"r\",\"step\":1,\"skipped_steps\":\"x\"}").rejection().reason())
                .isEqualTo(Rejection.WRONG_TYPE);
    }

    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource({"fp16,fp16", "FP16,fp16", "float16,fp16", "16-mixed,fp16", "bf16,bf16", "bf16-mixed,bf16",
        "bfloat16,bf16", "fp32,fp32", "float32,fp32", "tf32,fp32", "fp8,fp8"})
    void precisionIsReadInTheSpellingsTrainersUse(String declared, String expected) {
        ParseResult r = parse(InputParser.Kind.EVENTS,
                "{\"run\":\"r\",\"type\":\"start\",\"config\":{\"precision\":\"" + declared + "\"}}");
        assertThat(r.input().event().config().precision()).isEqualTo(expected);
        RunInput again = parse(InputParser.Kind.EVENTS, InputJson.write(r.input())).input();
        assertThat(again.event().config().precision()).isEqualTo(expected);
    }

    @Test
    void anUnknownPrecisionIsRefusedWithTheAcceptedValues() {
        ParseResult r = parse(InputParser.Kind.EVENTS,
                "{\"run\":\"r\",\"type\":\"start\",\"config\":{\"precision\":\"int4\"}}");
        assertThat(r.rejection().reason()).isEqualTo(Rejection.INVALID_VALUE);
        assertThat(r.rejection().detail()).contains("fp16", "bf16", "fp32", "fp8", "int4");
        assertThat(parse(InputParser.Kind.EVENTS, "{\"run\":\"r\",\"type\":\"start\",\"config\":{}}").input().event()
                .config().precision()).isNull();
    }
}
