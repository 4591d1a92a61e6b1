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

    @Test
    void theTailSidecarExampleFollowsTheTrainersLogFromASharedVolume() throws Exception {
        Path root = RepoRoot.find();
        JsonNode job = ManifestChecks.parseAll(Files.readString(
                root.resolve("deploy/k8s/examples/trainer-with-runwatch-tail.yaml"))).get(0);
        JsonNode pod = job.at("/spec/template/spec");
        JsonNode sidecar = pod.at("/initContainers/0");
        assertThat(sidecar.path("restartPolicy").asText()).as("a native sidecar").isEqualTo("Always");
        assertThat(sidecar.path("image").asText()).startsWith(ImageSpec.load(root).targetImage().split(":")[0]);
        List<String> args = new ArrayList<>();
        sidecar.path("args").forEach(a -> args.add(a.asText()));
        assertThat(args.get(0)).isEqualTo("tail");
        assertThat(args).containsSubsequence("--format", "auto").contains("--run", "--bootstrap-servers");
        String file = args.get(args.size() - 1);
        String logVolume = null;
        for (JsonNode mount : sidecar.path("volumeMounts")) {
            if (file.startsWith(mount.path("mountPath").asText() + "/")) {
                logVolume = mount.path("name").asText();
                assertThat(mount.path("readOnly").asBoolean()).isTrue();
            }
        }
        assertThat(logVolume).as("the followed file is on a mounted volume").isNotNull();
        boolean trainerWritesIt = false;
        for (JsonNode mount : pod.at("/containers/0/volumeMounts")) {
            trainerWritesIt |= mount.path("name").asText().equals(logVolume);
        }
        assertThat(trainerWritesIt).as("the trainer mounts the same volume").isTrue();
    }
}
