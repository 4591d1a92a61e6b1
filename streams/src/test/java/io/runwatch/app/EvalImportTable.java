package io.runwatch.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Prints the per-trajectory import table for the closing note: files, records expected, matched, missing,
 * spurious, and where the steps came from. Reads {@code ../shared/data/evals/raw} (all trajectories) when it
 * exists, else the bundled copies, or the directory given as the first argument.
 * <pre>mvn -B -o -q -pl streams test-compile exec:java -Dexec.mainClass=io.runwatch.app.EvalImportTable \
 *     -Dexec.classpathScope=test</pre>
 */
public final class EvalImportTable {
    private EvalImportTable() {
    }

    public static void main(String[] args) throws Exception {
        Path raw = args.length > 0 ? Path.of(args[0]) : firstExisting(List.of(
                Path.of("../shared/data/evals/raw"), Path.of("../../shared/data/evals/raw"),
                Path.of("streams/src/test/resources/evals/raw"),
                Path.of("src/test/resources/evals/raw")));
        System.out.println("evaluation trajectories under " + raw.toAbsolutePath().normalize());
        System.out.printf("%-32s %6s %9s %8s %8s %9s  %s%n", "run", "files", "expected", "matched", "missing",
                "spurious", "step sources (files)");
        int expected = 0;
        int matched = 0;
        int missing = 0;
        int spurious = 0;
        for (Path run : EvalTrajectories.runsUnder(raw)) {
            long start = System.nanoTime();
            EvalTrajectories.Row row = EvalTrajectories.compare(run);
            double ms = (System.nanoTime() - start) / 1e6;
            System.out.printf("%-32s %6d %9d %8d %8d %9d  %s  (%.0f ms)%n", row.run(), row.files(), row.expected(),
                    row.matched(), row.missing(), row.spurious(), row.stepSources(), ms);
            row.missingExamples().forEach(k -> System.out.println("    missing  " + k));
            row.spuriousExamples().forEach(k -> System.out.println("    spurious " + k));
            expected += row.expected();
            matched += row.matched();
            missing += row.missing();
            spurious += row.spurious();
        }
        System.out.printf("%-32s %6s %9d %8d %8d %9d%n", "total", "", expected, matched, missing, spurious);
    }

    private static Path firstExisting(List<Path> candidates) {
        return candidates.stream().filter(Files::isDirectory).findFirst().orElseThrow(
                () -> new IllegalStateException("no evaluation trajectories found; give the raw directory"));
    }
}
