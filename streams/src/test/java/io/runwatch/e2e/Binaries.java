package io.runwatch.e2e;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the Prometheus and Alertmanager executables on the PATH, or says which Debian package provides them. */
public final class Binaries {
    static final String INSTALL_HINT =
            "install them with: sudo apt-get install -y --no-install-recommends prometheus prometheus-alertmanager";

    private Binaries() {
    }

    public static Path prometheus() {
        return require("prometheus", "prometheus");
    }

    public static Path alertmanager() {
        return require("prometheus-alertmanager", "prometheus-alertmanager");
    }

    /** The executable {@code name} from the PATH; fails with the Debian package to install when it is absent. */
    public static Path require(String name, String debianPackage) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("'" + name + "' is not on the PATH. It comes with the Debian package '"
                + debianPackage + "'; " + INSTALL_HINT);
    }
}
