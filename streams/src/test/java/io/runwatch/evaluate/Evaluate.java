package io.runwatch.evaluate;

import io.runwatch.config.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Prints runwatch's detection quality, section by section, against the baselines a user would write:
 * {@code mvn -B -q -pl streams -Pevaluate verify} (see README "Detection quality"). Detection runs through the
 * production topology ({@link TopologyDetection}); {@code --direct} runs the pure detectors instead, which is
 * faster while tuning. Reads {@code ../shared/data} for the real-data rows when it is there.
 */
public final class Evaluate {
    private Evaluate() {
    }

    public static void main(String[] args) {
        boolean direct = List.of(args).contains("--direct");
        Settings settings = Settings.defaults();
        Detection detection = direct ? new MonitorDetection(settings) : new TopologyDetection(settings);
        Path shared = sharedData();
        System.out.println("# runwatch detection quality (" + (direct ? "pure detectors" : "production topology")
                + (shared == null ? "; ../shared absent: synthetic suites only" : "; with ../shared/data") + ")\n");
        section("training health", () -> TrainingEvaluation.run(detection, shared).toMarkdown());
        section("training health, widened suite", () -> TrainingEvaluation.widenedSection(new MonitorDetection(
                settings), TrainingEvaluation.WIDENED_SEEDS).toMarkdown());
        section("fp16 and runs that stop learning", () -> Fp16Evaluation.run(detection).toMarkdown());
        section("checkpoint evaluations", () -> EvalEvaluation.sections(detection, shared).stream()
                .map(Section::toMarkdown).collect(java.util.stream.Collectors.joining("\n")));
        section("checkpoint evaluations, the oracle's frontier", () -> EvalFrontier.oracleSection(
                EvalFrontier.suites(EvalFrontier.SEEDS)).toMarkdown());
        section("liveness", () -> LivenessEvaluation.run(detection, shared).toMarkdown());
    }

    private static void section(String name, java.util.function.Supplier<String> markdown) {
        long started = System.nanoTime();
        System.out.println(markdown.get());
        System.out.printf(Locale.ROOT, "(%s: %.1f s)%n%n", name, (System.nanoTime() - started) / 1e9);
    }

    /** {@code ../shared} beside the repository root, from the root or from {@code streams/}; null if absent. */
    static Path sharedData() {
        for (Path candidate : List.of(Path.of("..", "shared"), Path.of("..", "..", "shared"))) {
            if (Files.isDirectory(candidate.resolve("data"))) {
                return candidate;
            }
        }
        return null;
    }
}
