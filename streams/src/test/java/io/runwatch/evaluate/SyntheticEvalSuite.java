package io.runwatch.evaluate;

import io.runwatch.config.Settings;
import io.runwatch.core.EvalPoint;
import io.runwatch.core.RunInput;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded synthetic checkpoint evaluations with known truth: rising accuracy curves with binomial noise (and
 * seed noise for multi-seed runs), a loss curve, benchmarks stuck at chance, a yes/no task flipping between
 * its majority rate and the complement, injected drops of 1–10 noise units lasting one to five checkpoints,
 * evaluation jobs finishing out of order, and re-delivered results.
 */
public final class SyntheticEvalSuite {
    static final long CHECKPOINT_INTERVAL = 1_000;
    private static final long STEP_MS = 600_000;
    private static final double[] DROP_SIZES = {1.0, 1.5, 3, 4, 5, 6, 7, 8, 10};
    private static final int[] DROP_LENGTHS = {1, 1, 2, 3, 5};
    private static final int[] RUN_LENGTHS = {20, 40, 80, 150, 200};
    /** The smallest noise unit the detector uses: {@code evals.noise.floor.relative} of the score. */
    private static final double RELATIVE_NOISE_FLOOR = Settings.defaults().evals().relativeNoiseFloor();

    /** An injected drop: checkpoints [fromStep, toStep] lowered by noiseUnits × the point's noise. */
    public record Drop(long fromStep, long toStep, double noiseUnits) {
    }

    /** Ground truth of one trajectory. */
    public record Truth(String run, String benchmark, String metric, boolean stuckAtChance, List<Drop> drops) {
        public String key() {
            return run + "/" + benchmark + ":" + metric;
        }
    }

    public record Suite(List<RunInput> inputs, Map<String, Truth> truths) {
    }

    /** How a benchmark's true score evolves. */
    private record Template(String benchmark, String metric, int items, double start, double end, double speed,
                            Kind kind) {
    }

    private enum Kind { RISING, STUCK, FLIPPING, LOSS }

    private static final List<Template> TEMPLATES = List.of(
            new Template("arc_easy", "acc", 2376, 0.25, 0.70, 0.15, Kind.RISING),
            new Template("hellaswag", "acc_norm", 10042, 0.25, 0.60, 0.05, Kind.RISING),
            new Template("piqa", "acc", 1838, 0.50, 0.74, 0.10, Kind.RISING),
            new Template("sciq", "acc", 1000, 0.25, 0.85, 0.25, Kind.RISING),
            new Template("winogrande", "acc", 1267, 0.50, 0.62, 0.03, Kind.RISING),
            new Template("openbookqa", "acc_norm", 500, 0.25, 0.36, 0.05, Kind.RISING),
            new Template("mmlu_stem", "acc", 3018, 0.25, 0.25, 0, Kind.STUCK),
            new Template("boolq", "acc", 3270, 0.378, 0.622, 0, Kind.FLIPPING),
            new Template("c4_en", "ce_loss", 0, 4.5, 2.6, 0.08, Kind.LOSS));

    private SyntheticEvalSuite() {
    }

    public static Suite generate(long seed, int runs) {
        SplittableRandom random = new SplittableRandom(seed);
        List<RunInput> inputs = new ArrayList<>();
        Map<String, Truth> truths = new LinkedHashMap<>();
        for (int r = 0; r < runs; r++) {
            String run = "synthetic-" + r;
            int checkpoints = RUN_LENGTHS[random.nextInt(RUN_LENGTHS.length)];
            int seeds = random.nextDouble() < 0.3 ? 3 : 1;
            long startMs = r * 3_600_000L;
            List<RunInput> runInputs = new ArrayList<>();
            for (Template template : TEMPLATES) {
                Truth truth = trajectory(random, run, template, checkpoints, seeds, startMs, runInputs);
                truths.put(truth.key(), truth);
            }
            inputs.addAll(runInputs);
        }
        inputs.sort(Comparator.comparingLong(RunInput::timeMs));
        return new Suite(List.copyOf(inputs), truths);
    }

    private static Truth trajectory(SplittableRandom random, String run, Template template, int checkpoints,
                                    int seeds, long startMs, List<RunInput> out) {
        List<Drop> drops = new ArrayList<>();
        double[] dropAt = new double[checkpoints];
        boolean canDrop = template.kind() == Kind.RISING || template.kind() == Kind.LOSS;
        // A benchmark still at chance has nothing to lose: drops start once the score is 3 noise units above.
        int earliest = Math.max(10, firstSkilledCheckpoint(template, seeds));
        if (canDrop && checkpoints - 3 > earliest && random.nextDouble() < 0.6) {
            int dropCount = checkpoints >= 80 && random.nextBoolean() ? 2 : 1;
            for (int d = 0; d < dropCount; d++) {
                int latest = checkpoints - 3;
                if (earliest >= latest) {
                    break;
                }
                int from = earliest + random.nextInt(latest - earliest);
                int length = Math.min(DROP_LENGTHS[random.nextInt(DROP_LENGTHS.length)], checkpoints - from);
                double size = DROP_SIZES[random.nextInt(DROP_SIZES.length)];
                for (int i = from; i < from + length; i++) {
                    dropAt[i] = size;
                }
                drops.add(new Drop(step(from), step(from + length - 1), size));
                earliest = from + length + 30;
            }
        }
        boolean flippedHigh = true;
        int flipCountdown = 3 + random.nextInt(12);
        double seedSpread = seeds > 1 ? 0.5 : 0; // seed model noise relative to the binomial error
        for (int i = 0; i < checkpoints; i++) {
            double progress = 1 - Math.exp(-template.speed() * i);
            double truth = switch (template.kind()) {
                case RISING, LOSS -> template.start() + (template.end() - template.start()) * progress;
                case STUCK -> template.start();
                case FLIPPING -> flippedHigh ? template.end() : template.start();
            };
            if (template.kind() == Kind.FLIPPING && --flipCountdown == 0) {
                flippedHigh = !flippedHigh;
                flipCountdown = 3 + random.nextInt(12);
            }
            double binomial = template.kind() == Kind.LOSS ? 0.004
                    : Math.sqrt(truth * (1 - truth) / template.items());
            double pointNoise = binomial * Math.sqrt((1 + seedSpread * seedSpread) / seeds);
            // A drop lowers the score (raises a loss) by its size in noise units as the detector defines them:
            // the plotted point's noise, but never less than the relative floor (which the loss's 0.004 is under).
            double noiseUnit = Math.max(pointNoise, RELATIVE_NOISE_FLOOR * truth);
            double shifted = template.kind() == Kind.LOSS ? truth + dropAt[i] * noiseUnit
                    : truth - dropAt[i] * noiseUnit;
            long checkpointDoneMs = startMs + i * STEP_MS;
            for (int s = 0; s < seeds; s++) {
                double model = shifted + random.nextGaussian() * seedSpread * binomial;
                double value = template.kind() == Kind.LOSS ? model + random.nextGaussian() * binomial
                        : Math.round(template.items() * clamp(model + random.nextGaussian() * binomial))
                        / (double) template.items();
                // evaluation jobs finish hours late and out of order
                long delay = (long) (-Math.log(1 - random.nextDouble()) * 3 * STEP_MS);
                EvalPoint point = point(run, template, step(i), value, seeds > 1 ? "seed-" + s : null,
                        checkpointDoneMs + delay);
                out.add(RunInput.of(point));
                if (random.nextDouble() < 0.05) { // re-delivered result
                    out.add(RunInput.of(point(run, template, step(i), value, point.seed(),
                            point.timeMs() + 1 + random.nextInt(20) * STEP_MS)));
                }
            }
        }
        return new Truth(run, template.benchmark(), template.metric(),
                template.kind() == Kind.STUCK || template.kind() == Kind.FLIPPING, List.copyOf(drops));
    }

    private static int firstSkilledCheckpoint(Template template, int seeds) {
        if (template.kind() != Kind.RISING) {
            return 0;
        }
        for (int i = 0; i < 1_000; i++) {
            double truth = template.start() + (template.end() - template.start()) * (1 - Math.exp(-template.speed() * i));
            if (truth - template.start() >= 3 * Math.sqrt(truth * (1 - truth) / template.items())) {
                return i;
            }
        }
        return Integer.MAX_VALUE;
    }

    private static EvalPoint point(String run, Template template, long step, double value, String seed,
                                   long timeMs) {
        boolean loss = template.kind() == Kind.LOSS;
        return new EvalPoint(run, step, template.benchmark(), template.metric(), value, null,
                loss ? null : template.items(), seed, null, null, timeMs, !loss);
    }

    static long step(int checkpoint) {
        return (checkpoint + 1) * CHECKPOINT_INTERVAL;
    }

    private static double clamp(double p) {
        return Math.min(1, Math.max(0, p));
    }
}
