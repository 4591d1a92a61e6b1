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
 *
 * <p>The widened suite (the default) also has: heavy-tailed noise (Student-t with {@value #TAIL_DOF} degrees of
 * freedom scaled so its robust sigma, 1.4826 × MAD, is the binomial error: fitted by matching the share of
 * residuals beyond 3 and 4 robust sigmas of OLMo-2 7B after its 10th checkpoint, 1.25 % and 0.39 %, where the
 * fit gives 1.5 % and 0.35 %); a multiple-choice format swinging {@value #UNSTABLE_SWING}× its sampling error
 * next to its smooth cloze sibling (MMLU, 14,042 items), with a fall to chance in most runs (a drop beyond its own
 * swing; its ordinary swings of 10-30 sampling errors are not drops); a benchmark at chance
 * for the first 40 % of the run that then learns (its class must lift, its later drops are found); and a
 * perplexity that triples at one of the first checkpoints after learning (catastrophic).
 */
public final class SyntheticEvalSuite {
    static final long CHECKPOINT_INTERVAL = 1_000;
    private static final long STEP_MS = 600_000;
    private static final double[] DROP_SIZES = {1.0, 1.5, 3, 4, 5, 6, 7, 8, 10};
    private static final int[] DROP_LENGTHS = {1, 1, 2, 3, 5};
    private static final int[] RUN_LENGTHS = {20, 40, 80, 150, 200};
    /** The smallest noise unit the detector uses: {@code evals.noise.floor.relative} of the score. */
    private static final double RELATIVE_NOISE_FLOOR = Settings.defaults().evals().relativeNoiseFloor();
    /** Degrees of freedom of the widened suite's noise (fitted on OLMo-2 7B, see the class comment). */
    static final int TAIL_DOF = 7;
    /** Scales a Student-t of {@link #TAIL_DOF} to robust sigma 1: 1 / (1.4826 × its 75th percentile, 0.7111). */
    private static final double TAIL_SCALE = 1 / (1.4826 * 0.7111);
    /** Checkpoint-to-checkpoint swing of the unstable format, in sampling errors. */
    static final int UNSTABLE_SWING = 8;
    /** The gross drop injected into the unstable format: this share of its margin above chance. */
    static final double UNSTABLE_GROSS_CHANCE_SHARE = 1;

    /**
     * An injected drop: checkpoints [fromStep, toStep] lowered by noiseUnits × the point's noise; a gross one
     * (catastrophic, or far beyond the sampling error on an unstable format) must be found whatever the class.
     */
    public record Drop(long fromStep, long toStep, double noiseUnits, boolean gross) {
        Drop(long fromStep, long toStep, double noiseUnits) {
            this(fromStep, toStep, noiseUnits, false);
        }

        int length() {
            return (int) ((toStep - fromStep) / CHECKPOINT_INTERVAL) + 1;
        }
    }

    /** Ground truth of one trajectory; {@code kind} is its template's kind (RISING, STUCK, UNSTABLE, ...). */
    public record Truth(String run, String benchmark, String metric, boolean stuckAtChance, List<Drop> drops,
                        String kind) {
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

    enum Kind { RISING, STUCK, FLIPPING, LOSS, UNSTABLE, EMERGING }

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

    /** Added by the widened suite. */
    private static final List<Template> WIDENED_TEMPLATES = List.of(
            new Template("mmlu", "acc_mc", 14042, 0.25, 0.65, 0.08, Kind.UNSTABLE),
            new Template("mmlu", "acc_rc", 14042, 0.25, 0.45, 0.05, Kind.RISING),
            new Template("arc_challenge", "acc", 1172, 0.25, 0.45, 0.08, Kind.EMERGING));

    private SyntheticEvalSuite() {
    }

    /** The widened suite. */
    public static Suite generate(long seed, int runs) {
        return generate(seed, runs, true);
    }

    /** The widened suite, or with {@code widened} false the earlier Gaussian one (same draws as before). */
    public static Suite generate(long seed, int runs, boolean widened) {
        SplittableRandom random = new SplittableRandom(seed);
        List<RunInput> inputs = new ArrayList<>();
        Map<String, Truth> truths = new LinkedHashMap<>();
        for (int r = 0; r < runs; r++) {
            String run = "synthetic-" + r;
            int checkpoints = RUN_LENGTHS[random.nextInt(RUN_LENGTHS.length)];
            int seeds = random.nextDouble() < 0.3 ? 3 : 1;
            long startMs = r * 3_600_000L;
            List<RunInput> runInputs = new ArrayList<>();
            List<Template> templates = new ArrayList<>(TEMPLATES);
            if (widened) {
                templates.addAll(WIDENED_TEMPLATES);
            }
            for (Template template : templates) {
                Truth truth = trajectory(random, run, template, checkpoints, seeds, startMs, runInputs, widened);
                truths.put(truth.key(), truth);
            }
            inputs.addAll(runInputs);
        }
        inputs.sort(Comparator.comparingLong(RunInput::timeMs));
        return new Suite(List.copyOf(inputs), truths);
    }

    private static Truth trajectory(SplittableRandom random, String run, Template template, int checkpoints,
                                    int seeds, long startMs, List<RunInput> out, boolean widened) {
        List<Drop> drops = new ArrayList<>();
        double[] dropAt = new double[checkpoints];
        boolean canDrop = template.kind() == Kind.RISING || template.kind() == Kind.LOSS
                || template.kind() == Kind.EMERGING;
        int emergesAt = template.kind() == Kind.EMERGING ? (int) (0.4 * checkpoints) : 0;
        // A benchmark still at chance has nothing to lose: drops start once the score is 3 noise units above.
        int earliest = Math.max(10, emergesAt + firstSkilledCheckpoint(template, seeds));
        double grossAt = -1;
        double grossSize = 0;
        if (widened && template.kind() == Kind.UNSTABLE && checkpoints >= 40 && random.nextDouble() < 0.7) {
            // Falls back to chance (a broken prompt or answer extraction) once it has learned: ~11 of its own
            // swings. Its ordinary swings, several times 20 sampling errors, are not drops.
            grossAt = 30 + random.nextInt(checkpoints - 33);
            grossSize = UNSTABLE_GROSS_CHANCE_SHARE;
            drops.add(new Drop(step((int) grossAt), step((int) grossAt), grossSize, true));
        } else if (widened && template.kind() == Kind.LOSS && random.nextDouble() < 0.3) {
            grossAt = 3 + random.nextInt(3); // perplexity ×3 at one of checkpoints 3-5, before min.checkpoints
            grossSize = Math.log(3);
            drops.add(new Drop(step((int) grossAt), step((int) grossAt), 0, true));
        }
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
            double progress = 1 - Math.exp(-template.speed() * Math.max(0, i - emergesAt));
            double truth = switch (template.kind()) {
                case RISING, LOSS, UNSTABLE, EMERGING ->
                        template.start() + (template.end() - template.start()) * progress;
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
            if (i == grossAt) {
                shifted = template.kind() == Kind.LOSS ? shifted + grossSize
                        : shifted - grossSize * (truth - template.start());
            }
            double swing = template.kind() == Kind.UNSTABLE ? UNSTABLE_SWING : 1;
            long checkpointDoneMs = startMs + i * STEP_MS;
            for (int s = 0; s < seeds; s++) {
                double model = shifted + random.nextGaussian() * seedSpread * binomial;
                double noise = (widened ? heavyTailed(random) : random.nextGaussian()) * swing * binomial;
                double value = template.kind() == Kind.LOSS ? model + noise
                        : Math.round(template.items() * clamp(model + noise)) / (double) template.items();
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
                template.kind() == Kind.STUCK || template.kind() == Kind.FLIPPING, List.copyOf(drops),
                template.kind().name());
    }

    /** A Student-t of {@link #TAIL_DOF} degrees of freedom scaled to robust sigma 1. */
    private static double heavyTailed(SplittableRandom random) {
        double chiSquare = 0;
        for (int k = 0; k < TAIL_DOF; k++) {
            double g = random.nextGaussian();
            chiSquare += g * g;
        }
        return random.nextGaussian() / Math.sqrt(chiSquare / TAIL_DOF) * TAIL_SCALE;
    }

    private static int firstSkilledCheckpoint(Template template, int seeds) {
        if (template.kind() != Kind.RISING && template.kind() != Kind.EMERGING) {
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
