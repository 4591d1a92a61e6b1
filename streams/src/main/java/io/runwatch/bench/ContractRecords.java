package io.runwatch.bench;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Realistic {@code runwatch.metrics} records for the benchmark: a decaying loss with 0.5 % noise, a gradient norm,
 * a warm-up learning rate, throughput and step time, tokens seen, and on every tenth step three parameter groups.
 * About 200 B a record (about 400 B with groups). Deterministic: the same run and step give the same bytes, so
 * every path of the benchmark sees the same input. The noise stays far below every alert threshold, so the
 * detectors do their ordinary work and raise nothing.
 */
public final class ContractRecords {
    static final long TOKENS_PER_STEP = 524_288;
    static final int GROUPS_EVERY_STEPS = 10;
    private static final String[] GROUPS = {"embed", "attn", "mlp"};

    private ContractRecords() {
    }

    public static String runId(String prefix, int index) {
        return prefix + "-" + String.format("%06d", index);
    }

    /** One step record of {@code run}, stamped {@code timeMs} (the trainer's clock, in the {@code time} field). */
    public static byte[] metric(String run, long step, long timeMs) {
        SplittableRandom random = new SplittableRandom(run.hashCode() * 1_000_003L + step);
        double loss = (2.2 + 8.0 * Math.exp(-step / 3000.0)) * (1 + 0.005 * random.nextGaussian());
        double gradNorm = (0.3 + 1.5 * Math.exp(-step / 1500.0)) * (1 + 0.05 * random.nextGaussian());
        double lr = 6e-4 * Math.min(1.0, (step + 1) / 200.0);
        double stepTimeS = 3.4 * (1 + 0.01 * random.nextGaussian());
        StringBuilder json = new StringBuilder(420)
                .append("{\"run\":\"").append(run)
                .append("\",\"step\":").append(step)
                .append(",\"time\":").append(timeMs)
                .append(",\"loss\":").append(round(loss, 4))
                .append(",\"grad_norm\":").append(round(gradNorm, 4))
                .append(",\"lr\":").append(round(lr * 1e6, 3) / 1e6)
                .append(",\"tokens_per_s\":").append(round(TOKENS_PER_STEP / stepTimeS, 1))
                .append(",\"step_time_s\":").append(round(stepTimeS, 3))
                .append(",\"tokens\":").append(step * TOKENS_PER_STEP);
        if (step % GROUPS_EVERY_STEPS == 0) {
            json.append(",\"groups\":{");
            for (int g = 0; g < GROUPS.length; g++) {
                json.append(g == 0 ? "" : ",").append('"').append(GROUPS[g]).append("\":{\"grad_norm\":")
                        .append(round(gradNorm * (0.2 + 0.1 * g) * (1 + 0.05 * random.nextGaussian()), 4))
                        .append(",\"update_rms_over_lr\":")
                        .append(round(0.2 + 0.02 * random.nextGaussian(), 4))
                        .append(",\"param_norm\":").append(round(40 + 10 * g + step * 1e-4, 3)).append('}');
            }
            json.append('}');
        }
        return json.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A record whose loss is NaN: the {@code nonfinite} page the latency probe waits for. */
    public static byte[] nanProbe(String run, long step, long timeMs) {
        return ("{\"run\":\"" + run + "\",\"step\":" + step + ",\"time\":" + timeMs
                + ",\"loss\":NaN,\"grad_norm\":1.0,\"lr\":0.0006}").getBytes(StandardCharsets.UTF_8);
    }

    private static double round(double value, int decimals) {
        double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }
}
