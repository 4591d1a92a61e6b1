package io.runwatch.contract;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runwatch.core.EvalPoint;
import io.runwatch.core.GroupStats;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunConfig;
import io.runwatch.core.RunEvent;
import io.runwatch.core.RunInput;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Writes an input record back in the input contract, so generated or recorded inputs can be replayed through
 * the production path ({@link InputParser} included). Non-finite numbers are written as the strings
 * {@code "nan"}, {@code "inf"}, {@code "-inf"}, which the contract accepts.
 */
public final class InputJson {
    private InputJson() {
    }

    public static String write(RunInput input) {
        ObjectNode o = input.metric() != null ? metric(input.metric())
                : input.event() != null ? event(input.event()) : eval(input.eval());
        try {
            return Json.MAPPER.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode metric(MetricPoint p) {
        ObjectNode o = base(p.run(), p.timeMs());
        o.put("step", p.step());
        number(o, "loss", p.loss());
        number(o, "grad_norm", p.gradNorm());
        number(o, "lr", p.lr());
        number(o, "tokens_per_s", p.tokensPerS());
        number(o, "step_time_s", p.stepTimeS());
        number(o, "tokens", p.tokens());
        number(o, "loss_scale", p.lossScale());
        number(o, "val_loss", p.valLoss());
        number(o, "expect_next_within_s", p.expectNextWithinS());
        number(o, "skipped_steps", p.skippedSteps());
        if (!p.groups().isEmpty()) {
            ObjectNode groups = o.putObject("groups");
            for (Map.Entry<String, GroupStats> g : p.groups().entrySet()) {
                ObjectNode stats = groups.putObject(g.getKey());
                number(stats, "grad_norm", g.getValue().gradNorm());
                number(stats, "update_rms_over_lr", g.getValue().updateRmsOverLr());
                number(stats, "param_norm", g.getValue().paramNorm());
            }
        }
        p.extras().forEach((name, value) -> number(o, name, value));
        return o;
    }

    private static ObjectNode event(RunEvent e) {
        ObjectNode o = base(e.run(), e.timeMs());
        o.put("type", e.type().name());
        if (e.step() != null) {
            o.put("step", e.step());
        }
        RunConfig c = e.config();
        if (!c.equals(RunConfig.EMPTY)) {
            ObjectNode config = o.putObject("config");
            c.extras().forEach((k, v) -> config.set(k, Json.MAPPER.valueToTree(v)));
            number(config, "num_params", c.numParams());
            number(config, "adam_eps", c.adamEps());
            number(config, "lr_max", c.lrMax());
            whole(config, "total_steps", c.totalSteps());
            whole(config, "warmup_steps", c.warmupSteps());
            whole(config, "resumed_from_step", c.resumedFromStep());
            if (c.precision() != null) {
                config.put("precision", c.precision());
            }
        }
        if (e.status() != null) {
            o.put("status", e.status());
        }
        return o;
    }

    private static ObjectNode eval(EvalPoint p) {
        ObjectNode o = base(p.run(), p.timeMs());
        o.put("step", p.step());
        o.put("benchmark", p.benchmark());
        o.put("metric", p.metric());
        o.put("value", p.value());
        number(o, "stderr", p.stderr());
        if (p.n() != null) {
            o.put("n", p.n());
        }
        if (p.seed() != null) {
            o.put("seed", p.seed());
        }
        if (p.capability() != null) {
            o.put("capability", p.capability());
        }
        whole(o, "tokens", p.tokens());
        o.put("higher_is_better", p.higherIsBetter());
        return o;
    }

    private static ObjectNode base(String run, long timeMs) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("run", run);
        o.put("time", timeMs);
        return o;
    }

    private static void number(ObjectNode o, String name, Double value) {
        if (value == null) {
            return;
        }
        if (Double.isNaN(value)) {
            o.put(name, "nan");
        } else if (Double.isInfinite(value)) {
            o.put(name, value > 0 ? "inf" : "-inf");
        } else {
            o.put(name, value);
        }
    }

    private static void whole(ObjectNode o, String name, Long value) {
        if (value != null) {
            o.put(name, value);
        }
    }
}
