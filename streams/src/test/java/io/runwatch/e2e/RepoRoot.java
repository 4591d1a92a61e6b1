package io.runwatch.e2e;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's root directory: the nearest directory, from the working directory up, that holds alerts/. */
public final class RepoRoot {
    private RepoRoot() {
    }

    public static Path find() {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("alerts")) && Files.isDirectory(dir.resolve("streams"))) {
                return dir;
            }
        }
        throw new IllegalStateException("No directory with alerts/ and streams/ above " + start
                + ": run the tests from inside the runwatch repository");
    }

    public static Path alerts() {
        return find().resolve("alerts");
    }

    public static Path grafana() {
        return find().resolve("grafana");
    }
}
