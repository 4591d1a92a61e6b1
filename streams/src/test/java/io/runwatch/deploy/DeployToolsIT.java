package io.runwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.config.Settings;
import io.runwatch.e2e.RepoRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The deploy files through the real tools, where installed: {@code kubectl kustomize} renders every overlay
 * (then the structural checks of KubernetesManifestsTest run on the output), {@code yamllint} reads the
 * rendered output and every YAML file under deploy/, {@code docker-compose config} and {@code promtool}
 * validate the compose stack. A missing tool skips its test and says which (.ci/run installs them).
 */
class DeployToolsIT {
    private static final Path ROOT = RepoRoot.find();

    private static List<Path> overlays() throws Exception {
        try (Stream<Path> dirs = Files.list(ROOT.resolve("deploy/k8s/overlays"))) {
            return dirs.filter(Files::isDirectory).sorted().toList();
        }
    }

    private static String render(Path kubectl, Path overlay) throws Exception {
        Tools.Result result = Tools.run(ROOT, 120, List.of(kubectl.toString(), "kustomize", overlay.toString()));
        assertThat(result.exitCode()).as("kubectl kustomize " + overlay + ":\n" + result.output()).isZero();
        return result.output();
    }

    private static Path require(String tool, String why) {
        Optional<Path> path = Tools.find(tool);
        assumeTrue(path.isPresent(), tool + " is not installed: " + why + " was not checked");
        return path.get();
    }

    @Test
    void kubectlKustomizeRendersEveryOverlayAndTheOutputPassesTheStructuralChecks() throws Exception {
        Path kubectl = require("kubectl", "rendering the kustomize overlays");
        List<Path> overlays = overlays();
        assertThat(overlays).extracting(p -> p.getFileName().toString()).contains("dev", "prod");
        for (Path overlay : overlays) {
            List<JsonNode> docs = ManifestChecks.parseAll(render(kubectl, overlay));
            ManifestChecks checks = new ManifestChecks(docs, ROOT, ImageSpec.load(ROOT));
            checks.checkAll();
            String namespace = checks.one("StatefulSet").at("/metadata/namespace").asText();
            assertThat(namespace).as(overlay + " sets a namespace").isNotEmpty();
            docs.forEach(d -> assertThat(d.at("/metadata/namespace").asText()).as(d.at("/metadata/name").asText())
                    .isEqualTo(namespace));
            System.out.printf("RENDERED %s: %d objects, %d instances, %s partitions, %s standby(s)%n",
                    overlay.getFileName(), docs.size(), checks.one("StatefulSet").at("/spec/replicas").asInt(),
                    checks.setting(Settings.TOPIC_PARTITIONS), checks.setting(Settings.STREAMS_STANDBYS));
        }
    }

    @Test
    void theProdOverlayKeepsAWarmStandbyInAnotherZoneAndReplicatesTopicsThreeTimes() throws Exception {
        Path kubectl = require("kubectl", "the rendered prod overlay");
        ManifestChecks prod = new ManifestChecks(ManifestChecks.parseAll(render(kubectl,
                ROOT.resolve("deploy/k8s/overlays/prod"))), ROOT, ImageSpec.load(ROOT));
        assertThat(prod.setting(Settings.STREAMS_STANDBYS)).isEqualTo("1");
        assertThat(prod.one("StatefulSet").at("/spec/replicas").asInt())
                .as("a standby needs a second instance; a PDB of one needs a third to drain calmly")
                .isGreaterThanOrEqualTo(3);
        assertThat(prod.setting(Settings.TOPIC_REPLICATION)).isEqualTo("3");
        JsonNode rack = null;
        for (JsonNode var : prod.container().path("env")) {
            if (var.path("name").asText().equals(Settings.STREAMS_CLIENT_RACK.envName())) {
                rack = var;
            }
        }
        assertThat(rack).as("rack awareness from the pod's zone").isNotNull();
        assertThat(rack.at("/valueFrom/fieldRef/fieldPath").asText()).contains("topology.kubernetes.io/zone");
        for (JsonNode topic : prod.ofKind("KafkaTopic")) {
            assertThat(topic.at("/spec/replicas").asInt()).isEqualTo(3);
            assertThat(topic.at("/spec/config/min.insync.replicas").asInt()).isEqualTo(2);
        }
    }

    @Test
    void yamllintAcceptsTheDeployFilesAndTheRenderedOverlays() throws Exception {
        Path yamllint = require("yamllint", "YAML style of deploy/ and of the rendered overlays");
        Path config = ROOT.resolve("deploy/.yamllint.yaml");
        Tools.Result files = Tools.run(ROOT, 120, List.of(yamllint.toString(), "-s", "-c", config.toString(),
                "deploy"));
        assertThat(files.exitCode()).as("yamllint deploy:\n" + files.output()).isZero();
        Optional<Path> kubectl = Tools.find("kubectl");
        assumeTrue(kubectl.isPresent(), "kubectl is not installed: the rendered overlays were not linted");
        Path dir = Files.createTempDirectory("runwatch-rendered");
        try {
            List<String> command = new ArrayList<>(List.of(yamllint.toString(), "-s", "-c", config.toString()));
            for (Path overlay : overlays()) {
                Path rendered = dir.resolve(overlay.getFileName() + ".yaml");
                Files.writeString(rendered, render(kubectl.get(), overlay));
                command.add(rendered.toString());
            }
            Tools.Result result = Tools.run(ROOT, 120, command);
            assertThat(result.exitCode()).as("yamllint of the rendered overlays:\n" + result.output()).isZero();
        } finally {
            try (Stream<Path> rendered = Files.list(dir)) {
                for (Path f : rendered.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }

    @Test
    void dockerComposeConfigValidatesTheComposeFile() throws Exception {
        Optional<Path> compose = Tools.find("docker-compose");
        assumeTrue(compose.isPresent(), "docker-compose is not installed: deploy/compose/compose.yaml was not "
                + "validated by Compose (only by ComposeFileTest)");
        Tools.Result result = Tools.run(ROOT, 120, List.of(compose.get().toString(), "-f",
                ROOT.resolve("deploy/compose/compose.yaml").toString(), "config", "-q"));
        assertThat(result.exitCode()).as("docker-compose config:\n" + result.output()).isZero();
    }

    @Test
    void promtoolAcceptsTheComposeStacksPrometheusConfig() throws Exception {
        Path promtool = require("promtool", "deploy/compose/prometheus.yml");
        Tools.Result result = Tools.run(ROOT, 60, List.of(promtool.toString(), "check", "config",
                ROOT.resolve("deploy/compose/prometheus.yml").toString()));
        assertThat(result.exitCode()).as("promtool check config:\n" + result.output()).isZero();
    }
}
