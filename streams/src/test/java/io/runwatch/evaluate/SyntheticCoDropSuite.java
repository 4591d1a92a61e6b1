package io.runwatch.evaluate;

import io.runwatch.core.EvalPoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Synthetic runs for eval_co_drop, kept apart from {@link SyntheticEvalSuite} (which owns the per-trajectory
 * families): sixteen catalogued benchmarks of one run, each a slowly rising curve at 0.45–0.70 with Student-t(7)
 * noise at its binomial error (the widened suite's tail), 60 checkpoints whose results arrive benchmark by benchmark
 * in shuffled order. At checkpoint {@link #EVENT} some benchmarks fall for two checkpoints:
 * <ul>
 * <li>{@code event_few_large}: 3–5 benchmarks fall 4–6 binomial errors (a training event; label co-drop)</li>
 * <li>{@code event_many_small}: 10–13 benchmarks fall 2 errors, under any single benchmark's threshold (co-drop)</li>
 * <li>{@code solo}: one benchmark falls 10 errors (its own eval_regression; no co-drop)</li>
 * <li>{@code pair}: two benchmarks fall 8 errors (a shared harness bug as likely as training; no co-drop)</li>
 * <li>{@code noise}: nothing falls (no co-drop)</li>
 * </ul>
 */
public final class SyntheticCoDropSuite {
    static final List<String> BENCHMARKS = List.of("arc_easy", "arc_challenge", "mmlu", "sciq", "openbookqa", "race",
            "mathqa", "logiqa", "hellaswag", "csqa", "socialiqa", "lambada", "triviaqa", "piqa", "winogrande",
            "headqa");
    static final int CHECKPOINTS = 60;
    static final int EVENT = 40;
    static final long STEPS_PER_CHECKPOINT = 1_000;
    private static final int ITEMS = 2_000;
    /** Robust sigma of a Student-t(7): its draws are divided by it so the noise's robust sigma is the binomial error. */
    private static final double T7_ROBUST_SIGMA = 1.4826 * 0.7111;

    public enum Family {
        event_few_large(true), event_many_small(true), solo(false), pair(false), noise(false);

        final boolean coDrop;

        Family(boolean coDrop) {
            this.coDrop = coDrop;
        }
    }

    /** One labelled run: its points in arrival order and the benchmarks that fell at the event. */
    public record LabelledRun(String run, Family family, long eventStep, List<String> fallen, List<EvalPoint> points) {
    }

    private SyntheticCoDropSuite() {
    }

    public static List<LabelledRun> generate(long seed, int runsPerFamily) {
        Random random = new Random(seed);
        List<LabelledRun> runs = new ArrayList<>();
        for (Family family : Family.values()) {
            for (int r = 0; r < runsPerFamily; r++) {
                runs.add(run(family.name() + "-" + seed + "-" + r, family, random));
            }
        }
        return runs;
    }

    private static LabelledRun run(String id, Family family, Random random) {
        List<String> order = new ArrayList<>(BENCHMARKS);
        Collections.shuffle(order, random);
        int fallenCount = switch (family) {
            case event_few_large -> 3 + random.nextInt(3);
            case event_many_small -> 10 + random.nextInt(4);
            case solo -> 1;
            case pair -> 2;
            case noise -> 0;
        };
        List<String> fallen = List.copyOf(order.subList(0, fallenCount));
        double[] start = new double[BENCHMARKS.size()];
        double[] rise = new double[BENCHMARKS.size()];
        double[] fall = new double[BENCHMARKS.size()];
        for (int b = 0; b < BENCHMARKS.size(); b++) {
            start[b] = 0.45 + 0.25 * random.nextDouble();
            rise[b] = 0.05 * random.nextDouble(); // over the run, flattening
            if (fallen.contains(BENCHMARKS.get(b))) {
                fall[b] = switch (family) {
                    case event_few_large -> 4 + 2 * random.nextDouble();
                    case event_many_small -> 2;
                    case solo -> 10;
                    case pair -> 8;
                    case noise -> 0;
                };
            }
        }
        List<EvalPoint> points = new ArrayList<>();
        long time = 1_700_000_000_000L;
        for (int i = 0; i < CHECKPOINTS; i++) {
            long step = (i + 1) * STEPS_PER_CHECKPOINT;
            List<Integer> arrival = new ArrayList<>();
            for (int b = 0; b < BENCHMARKS.size(); b++) {
                arrival.add(b);
            }
            Collections.shuffle(arrival, random);
            for (int b : arrival) {
                double mean = start[b] + rise[b] * Math.sqrt(i / (double) CHECKPOINTS);
                double sigma = Math.sqrt(mean * (1 - mean) / ITEMS);
                boolean down = i >= EVENT && i < EVENT + 2;
                double value = mean + sigma * (studentT7(random) / T7_ROBUST_SIGMA - (down ? fall[b] : 0));
                points.add(new EvalPoint(id, step, BENCHMARKS.get(b), "acc", value, null, ITEMS, null, null, null,
                        time += 1_000, true));
            }
        }
        return new LabelledRun(id, family, (EVENT + 1) * STEPS_PER_CHECKPOINT, fallen, points);
    }

    private static double studentT7(Random random) {
        double chi2 = 0;
        for (int k = 0; k < 7; k++) {
            double z = random.nextGaussian();
            chi2 += z * z;
        }
        return random.nextGaussian() / Math.sqrt(chi2 / 7);
    }
}
