package io.runwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.e2e.RepoRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The kustomize base as committed, parsed and checked without kubectl (the rendered overlays get the same
 * checks in DeployToolsIT when kubectl is present).
 */
class KubernetesManifestsTest {
    static List<JsonNode> base(Path root) throws Exception {
        Path baseDir = root.resolve("deploy/k8s/base");
        JsonNode kustomization = ManifestChecks.parseAll(Files.readString(baseDir.resolve("kustomization.yaml")))
                .get(0);
        List<JsonNode> docs = new ArrayList<>();
        for (JsonNode resource : kustomization.path("resources")) {
            docs.addAll(ManifestChecks.parseAll(Files.readString(baseDir.resolve(resource.asText()))));
        }
        return docs;
    }

    @Test
    void theBasePassesTheStructuralChecks() throws Exception {
        Path root = RepoRoot.find();
        new ManifestChecks(base(root), root, ImageSpec.load(root)).checkAll();
    }

    @Test
    void theBaseHoldsTheKindsAnOperatorNeeds() throws Exception {
        Path root = RepoRoot.find();
        ManifestChecks base = new ManifestChecks(base(root), root, ImageSpec.load(root));
        for (String kind : List.of("StatefulSet", "Service", "PodDisruptionBudget", "PodMonitor", "PrometheusRule")) {
            assertThat(base.ofKind(kind)).as(kind).hasSize(1);
        }
        assertThat(base.ofKind("KafkaTopic")).hasSize(5);
        assertThat(base.ofKind("ConfigMap")).hasSize(2);
    }

    @Test
    void theChecksCatchABrokenManifest() throws Exception {
        Path root = RepoRoot.find();
        List<JsonNode> docs = base(root);
        JsonNode container = docs.stream().filter(d -> d.path("kind").asText().equals("StatefulSet")).findFirst()
                .orElseThrow().at("/spec/template/spec/containers/0");
        ((com.fasterxml.jackson.databind.node.ObjectNode) container.path("env").get(0))
                .put("name", "RUNWATCH_STREAMS_NUM_STANDBY_REPLICA");
        ManifestChecks broken = new ManifestChecks(docs, root, ImageSpec.load(root));
        org.assertj.core.api.Assertions.assertThatThrownBy(broken::everyEnvironmentVariableIsARunwatchFlagOrSetting)
                .hasMessageContaining("RUNWATCH_STREAMS_NUM_STANDBY_REPLICA");
        ((com.fasterxml.jackson.databind.node.ObjectNode) container.path("readinessProbe").path("httpGet"))
                .put("path", "/healthz");
        org.assertj.core.api.Assertions.assertThatThrownBy(broken::theContainerRunsTheImageWithProbesResourcesAndState)
                .hasMessageContaining("/readyz");
    }
}
