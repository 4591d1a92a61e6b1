package io.runwatch.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.core.EvalPoint;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunEvent;
import io.runwatch.core.RunEventType;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InputParserTest {
    private final InputParser parser = new InputParser(1024);

    private ParseResult metrics(String json) {
        return parser.parse(InputParser.Kind.METRICS, json.getBytes(StandardCharsets.UTF_8), 1_000);
    }

    @Test
    void readsAFullMetricsRecord() {
        ParseResult r = metrics("""
                {"run":"r1","step":7,"time":"2026-01-02T03:04:05Z","loss":2.5,"grad_norm":1.25,"lr":3e-4,
                 "tokens_per_s":1e5,"step_time_s":0.5,"tokens":1e9,"loss_scale":1024,"val_loss":2.6,
                 "groups":{"embed":{"grad_norm":0.1,"update_rms_over_lr":0.4,"param_norm":12}},"mfu":0.41}""");
        assertThat(r.isOk()).isTrue();
        MetricPoint p = r.input().metric();
        assertThat(p.run()).isEqualTo("r1");
        assertThat(p.step()).isEqualTo(7);
        assertThat(p.timeMs()).isEqualTo(1_767_323_045_000L);
        assertThat(p.loss()).isEqualTo(2.5);
        assertThat(p.groups().get("embed").updateRmsOverLr()).isEqualTo(0.4);
        assertThat(p.extras()).containsEntry("mfu", 0.41);
    }

    @Test
    void acceptsPythonsBareNonFiniteTokensAndTheirStringSpellings() {
        assertThat(metrics("{\"run\":\"r\",\"step\":1,\"loss\":NaN}").input().metric().loss()).isNaN();
        assertThat(metrics("{\"run\":\"r\",\"step\":1,\"grad_norm\":Infinity}").input().metric().gradNorm())
                .isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(metrics("{\"run\":\"r\",\"step\":1,\"loss\":-Infinity}").input().metric().loss())
                .isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(metrics("{\"run\":\"r\",\"step\":1,\"loss\":\"nan\"}").input().metric().loss()).isNaN();
        assertThat(metrics("{\"run\":\"r\",\"step\":1,\"loss\":\"inf\"}").input().metric().loss())
                .isEqualTo(Double.POSITIVE_INFINITY);
    }

    @Test
    void defaultsTheTimeToTheRecordTimestamp() {
        assertThat(metrics("{\"run\":\"r\",\"step\":1,\"loss\":1}").input().metric().timeMs()).isEqualTo(1_000);
        assertThat(metrics("{\"run\":\"r\",\"step\":1,\"time\":5000}").input().metric().timeMs()).isEqualTo(5_000);
    }

    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource(delimiter = '|', value = {
        "{\"run\":\"r\",\"step\":1,\"loss\":2                        | malformed_json",
        "[1,2,3]                                                     | not_an_object",
        "{\"step\":1,\"loss\":2}                                     | missing_field",
        "{\"run\":\"r\",\"loss\":2}                                  | missing_field",
        "{\"run\":7,\"step\":1}                                      | wrong_type",
        "{\"run\":\"r\",\"step\":\"one\"}                            | wrong_type",
        "{\"run\":\"r\",\"step\":1.5}                                | invalid_value",
        "{\"run\":\"r\",\"step\":1,\"loss\":\"high\"}                | wrong_type",
        "{\"run\":\"r\",\"step\":1,\"groups\":[1]}                   | wrong_type",
        "{\"run\":\"r\",\"step\":-1}                                 | invalid_value",
        "{\"run\":\"\",\"step\":1}                                   | invalid_value",
        "{\"run\":\"r\",\"step\":1,\"time\":\"yesterday\"}           | invalid_value",
        "{\"run\":\"r\",\"step\":1,\"expect_next_within_s\":-3}      | invalid_value",
    })
    void refusesBadRecordsWithAPreciseReason(String json, String reason) {
        ParseResult r = metrics(json);
        assertThat(r.isOk()).isFalse();
        assertThat(r.rejection().reason()).isEqualTo(reason);
        assertThat(r.rejection().detail()).isNotBlank();
    }

    @Test
    void refusesOversizedRecordsRunIdsOver200CharactersAndInvalidUtf8() {
        String big = "{\"run\":\"r\",\"step\":1,\"note\":\"" + "x".repeat(2000) + "\"}";
        assertThat(metrics(big).rejection().reason()).isEqualTo(Rejection.TOO_LARGE);
        String longRun = "{\"run\":\"" + "r".repeat(201) + "\",\"step\":1}";
        assertThat(metrics(longRun).rejection().reason()).isEqualTo(Rejection.INVALID_VALUE);
        assertThat(metrics("{\"run\":\"" + "r".repeat(200) + "\",\"step\":1}").isOk()).isTrue();
        byte[] notUtf8 = {'{', '"', 'r', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        assertThat(parser.parse(InputParser.Kind.METRICS, notUtf8, 0).rejection().reason())
                .isEqualTo(Rejection.NOT_UTF8);
        assertThat(parser.parse(InputParser.Kind.METRICS, new byte[0], 0).rejection().reason())
                .isEqualTo(Rejection.MALFORMED_JSON);
    }

    @Test
    void readsEvaluationsAndInfersTheMetricDirection() {
        EvalPoint acc = parser.parse(InputParser.Kind.EVALS, """
                {"run":"p","step":1000,"benchmark":"arc_easy","value":0.41,"stderr":0.01,"n":2376,"seed":3}"""
                .getBytes(StandardCharsets.UTF_8), 0).input().eval();
        assertThat(acc.metric()).isEqualTo("acc");
        assertThat(acc.higherIsBetter()).isTrue();
        assertThat(acc.n()).isEqualTo(2376);
        assertThat(acc.seed()).isEqualTo("3");
        for (String lossLike : new String[] {"ppl", "perplexity", "bpb", "ce", "loss"}) {
            EvalPoint p = parser.parse(InputParser.Kind.EVALS, ("{\"run\":\"p\",\"step\":1,\"benchmark\":\"b\","
                    + "\"metric\":\"" + lossLike + "\",\"value\":3.1}").getBytes(StandardCharsets.UTF_8), 0)
                    .input().eval();
            assertThat(p.higherIsBetter()).as(lossLike).isFalse();
        }
        EvalPoint explicit = parser.parse(InputParser.Kind.EVALS, """
                {"run":"p","step":1,"benchmark":"b","metric":"ppl","value":3,"higher_is_better":true}"""
                .getBytes(StandardCharsets.UTF_8), 0).input().eval();
        assertThat(explicit.higherIsBetter()).isTrue();
        assertThat(parser.parse(InputParser.Kind.EVALS, "{\"run\":\"p\",\"step\":1,\"benchmark\":\"b\"}"
                .getBytes(StandardCharsets.UTF_8), 0).rejection().reason()).isEqualTo(Rejection.MISSING_FIELD);
    }

    @Test
    void readsRunEvents() {
        RunEvent start = parser.parse(InputParser.Kind.EVENTS, """
                {"run":"r","type":"start","time":5,"config":{"adam_eps":1e-8,"resumed_from_step":3000,"lr_max":6e-4,
                 "total_steps":10000,"warmup_steps":700,"num_params":1.3e9,"optimizer":"adamw"}}"""
                .getBytes(StandardCharsets.UTF_8), 0).input().event();
        assertThat(start.type()).isEqualTo(RunEventType.start);
        assertThat(start.step()).isEqualTo(3000);
        assertThat(start.config().adamEps()).isEqualTo(1e-8);
        assertThat(start.config().resumedFromStep()).isEqualTo(3000);
        assertThat(start.config().extras()).containsEntry("optimizer", "adamw");
        RunEvent end = parser.parse(InputParser.Kind.EVENTS,
                "{\"run\":\"r\",\"type\":\"end\",\"step\":9,\"status\":\"failed\"}".getBytes(StandardCharsets.UTF_8),
                0).input().event();
        assertThat(end.status()).isEqualTo("failed");
        assertThat(parser.parse(InputParser.Kind.EVENTS, "{\"run\":\"r\",\"type\":\"paused\"}"
                .getBytes(StandardCharsets.UTF_8), 0).rejection().reason()).isEqualTo(Rejection.INVALID_VALUE);
        assertThat(parser.parse(InputParser.Kind.EVENTS, "{\"run\":\"r\",\"type\":\"checkpoint\"}"
                .getBytes(StandardCharsets.UTF_8), 0).rejection().reason()).isEqualTo(Rejection.MISSING_FIELD);
    }
    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource(delimiter = '|', value = {
        "{\"run\":\"r\",\"step\":1e30}                               | invalid_value | [0, 2^53)",
        "{\"run\":\"r\",\"step\":9007199254740992}                   | invalid_value | [0, 2^53)",
        "{\"run\":\"r\",\"step\":99999999999999999999999}            | invalid_value | [0, 2^53)",
        "{\"run\":\"r\",\"step\":-3}                                 | invalid_value | [0, 2^53)",
        "{\"run\":\"r\",\"step\":-0.5}                               | invalid_value | whole number",
        "{\"run\":\"r\",\"step\":188.25}                             | invalid_value | whole number",
        "{\"run\":\"r\",\"step\":NaN}                                | invalid_value | finite",
        "{\"run\":\"r\",\"step\":\"7\"}                              | wrong_type    | must be an integer",
        "{\"run\":\"r\",\"step\":true}                               | wrong_type    | must be an integer",
        "{\"run\":\"r\",\"step\":1} {\"run\":\"r\",\"step\":2}         | malformed_json | Trailing token",
        "{\"run\":\"r\",\"step\":1}x                                 | malformed_json | Unrecognized token",
        "{\"run\":\"r\",\"step\":1,\"step\":2}                         | malformed_json | Duplicate field",
        "{\"run\":\"r\",\"step\":1,\"x\":[[[[[[[[[1]]]]]]]]]}           | malformed_json | nesting depth",
        "{\"run\":\"r\\u0000x\",\"step\":1}                           | invalid_value | U+0000",
        "{\"run\":\"r\\nx\",\"step\":1}                               | invalid_value | U+000A",
        "{\"run\":\"r\\u2028\",\"step\":1}                            | invalid_value | U+2028",
        "{\"run\":\"r\\ud800\",\"step\":1}                            | invalid_value | unpaired surrogate",
        "{\"run\":\"r\",\"step\":1,\"groups\":{\"a\\u0007\":{}}}         | invalid_value | group name",
        "{\"run\":\"r\",\"step\":1,\"time\":1e30}                      | invalid_value | year 9999",
    })
    void theContractIsStrict(String json, String reason, String detail) {
        ParseResult r = metrics(json);
        assertThat(r.isOk()).as(json).isFalse();
        assertThat(r.rejection().reason()).isEqualTo(reason);
        assertThat(r.rejection().detail()).contains(detail);
    }

    @Test
    void aWholeFloatStepIsThatIntegerAndTheLargestExactStepIsAccepted() {
        assertThat(metrics("{\"run\":\"r\",\"step\":188.0}").input().metric().step()).isEqualTo(188);
        assertThat(metrics("{\"run\":\"r\",\"step\":1e3}").input().metric().step()).isEqualTo(1000);
        assertThat(metrics("{\"run\":\"r\",\"step\":9007199254740991}").input().metric().step())
                .isEqualTo(9_007_199_254_740_991L);
        assertThat(metrics("{\"run\":\"r\",\"step\":0}").input().metric().step()).isZero();
    }

    @Test
    void labelsAreBoundedOnEveryTopic() {
        String longName = "b".repeat(InputParser.MAX_NAME_LENGTH + 1);
        ParseResult eval = parser.parse(InputParser.Kind.EVALS, ("{\"run\":\"p\",\"step\":1,\"benchmark\":\""
                + longName + "\",\"value\":0.5}").getBytes(StandardCharsets.UTF_8), 0);
        assertThat(eval.rejection().reason()).isEqualTo(Rejection.INVALID_VALUE);
        assertThat(eval.rejection().detail()).contains("benchmark", "exceeds 200");
        ParseResult metric = parser.parse(InputParser.Kind.EVALS,
                "{\"run\":\"p\",\"step\":1,\"benchmark\":\"b\",\"metric\":\"a\\tb\",\"value\":0.5}"
                        .getBytes(StandardCharsets.UTF_8), 0);
        assertThat(metric.rejection().detail()).contains("metric", "U+0009");
        ParseResult seed = parser.parse(InputParser.Kind.EVALS,
                "{\"run\":\"p\",\"step\":1,\"benchmark\":\"b\",\"seed\":\"\\u001b[31m\",\"value\":0.5}"
                        .getBytes(StandardCharsets.UTF_8), 0);
        assertThat(seed.rejection().detail()).contains("seed", "U+001B");
        ParseResult resumed = parser.parse(InputParser.Kind.EVENTS,
                "{\"run\":\"r\",\"type\":\"start\",\"config\":{\"resumed_from_step\":1e30}}"
                        .getBytes(StandardCharsets.UTF_8), 0);
        assertThat(resumed.rejection().detail()).contains("resumed_from_step", "[0, 2^53)");
        assertThat(metrics("{\"run\":\"r-\u00e9\u6f22\ud83d\ude80\",\"step\":1}").isOk())
                .as("non-ASCII letters and paired surrogates are fine").isTrue();
    }

    @Test
    void aRecordMayNotBringMoreParameterGroupsThanTheBound() {
        StringBuilder groups = new StringBuilder();
        for (int i = 0; i <= InputParser.MAX_GROUPS_PER_RECORD; i++) {
            groups.append(i == 0 ? "" : ",").append("\"g").append(i).append("\":{\"grad_norm\":1}");
        }
        ParseResult r = new InputParser(1 << 20).parse(InputParser.Kind.METRICS,
                ("{\"run\":\"r\",\"step\":1,\"groups\":{" + groups + "}}").getBytes(StandardCharsets.UTF_8), 0);
        assertThat(r.rejection().reason()).isEqualTo(Rejection.INVALID_VALUE);
        assertThat(r.rejection().detail()).contains("65 parameter groups");
    }
}
