package io.runwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.e2e.RepoRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PrometheusRule and dashboard ConfigMaps under deploy/k8s are what their sources give (no drift). */
class GeneratedManifestsTest {

    @Test
    void theCommittedManifestsAreUpToDateWithAlertsAndDashboards() throws IOException {
        assertThat(GeneratedManifests.stale(RepoRoot.find()))
                .as("stale generated manifests: run from the repository root: " + GeneratedManifests.REGENERATE)
                .isEmpty();
    }

    @Test
    void aRuleOrDashboardChangedWithoutRegeneratingIsDrift(@TempDir Path copy) throws IOException {
        Path root = RepoRoot.find();
        for (String dir : new String[] {"alerts/rules", "grafana/dashboards", "deploy/k8s/base/generated"}) {
            copyDir(root.resolve(dir), copy.resolve(dir));
        }
        assertThat(GeneratedManifests.stale(copy)).isEmpty();

        Files.writeString(copy.resolve("alerts/rules/extra.yml"), """
                groups:
                  - name: runwatch-extra
                    rules:
                      - alert: RunwatchExtra
                        expr: vector(1)
                        for: 1m
                        labels:
                          severity: warning
                """);
        assertThat(GeneratedManifests.stale(copy)).containsExactly(GeneratedManifests.PROMETHEUS_RULE);

        Path dashboard = copy.resolve("grafana/dashboards/training-run.json");
        Files.writeString(dashboard, Files.readString(dashboard).replace("runwatch / Training run", "renamed"));
        assertThat(GeneratedManifests.stale(copy))
                .containsExactly(GeneratedManifests.PROMETHEUS_RULE, GeneratedManifests.DASHBOARDS);

        GeneratedManifests.main(new String[] {copy.toString()});
        assertThat(GeneratedManifests.stale(copy)).isEmpty();
        assertThat(Files.readString(copy.resolve(GeneratedManifests.PROMETHEUS_RULE))).contains("RunwatchExtra");
    }

    @Test
    void theRuleFileOfEveryAlertIsInThePrometheusRule() throws IOException {
        Path root = RepoRoot.find();
        String rule = Files.readString(root.resolve(GeneratedManifests.PROMETHEUS_RULE));
        try (Stream<Path> files = Files.list(root.resolve("alerts/rules"))) {
            for (Path file : files.toList()) {
                for (String line : Files.readAllLines(file)) {
                    if (line.strip().startsWith("- alert: ")) {
                        assertThat(rule).as(file.getFileName() + ": " + line.strip()).contains(line.strip());
                    }
                }
            }
        }
    }

    private static void copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
