package io.runwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.runwatch.app.Main;
import io.runwatch.config.Setting;
import io.runwatch.config.Settings;
import io.runwatch.topology.Topics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine;

/**
 * Structural checks of a set of Kubernetes manifests: the kustomize base as committed (always, in
 * {@code KubernetesManifestsTest}) and every overlay as {@code kubectl kustomize} renders it (DeployToolsIT).
 */
public final class ManifestChecks {
    static final YAMLMapper YAML = new YAMLMapper();
    private static final Pattern ENV_REF = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    private final List<JsonNode> docs;
    private final Path repoRoot;
    private final ImageSpec image;

    public ManifestChecks(List<JsonNode> docs, Path repoRoot, ImageSpec image) {
        this.docs = docs;
        this.repoRoot = repoRoot;
        this.image = image;
    }

    /** Every document of a (multi-document) YAML text. */
    public static List<JsonNode> parseAll(String yaml) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    out.add(doc);
                }
            }
        }
        return out;
    }

    public void checkAll() throws IOException {
        theWorkloadHangsTogether();
        theContainerRunsTheImageWithProbesResourcesAndState();
        everyEnvironmentVariableIsARunwatchFlagOrSetting();
        topicsMatchTheCatalogueAndTheSettings();
        monitoringMatchesTheSources();
    }

    public List<JsonNode> ofKind(String kind) {
        return docs.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
    }

    public JsonNode one(String kind) {
        List<JsonNode> found = ofKind(kind);
        assertThat(found).as("exactly one " + kind).hasSize(1);
        return found.get(0);
    }

    public JsonNode container() {
        return one("StatefulSet").at("/spec/template/spec/containers/0");
    }

    /** name → literal value of the container's environment (valueFrom entries map to null). */
    public Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode var : container().path("env")) {
            env.put(var.path("name").asText(), var.has("value") ? var.path("value").asText() : null);
        }
        return env;
    }

    /** The effective value of a setting in the pod: its environment variable, else its default. */
    public String setting(Setting setting) {
        String value = env().get(setting.envName());
        return value != null ? value : setting.defaultValue();
    }

    void theWorkloadHangsTogether() {
        JsonNode sts = one("StatefulSet");
        Map<String, String> podLabels = labels(sts.at("/spec/template/metadata/labels"));
        assertThat(podLabels).containsAllEntriesOf(labels(sts.at("/spec/selector/matchLabels")));
        JsonNode service = ofKind("Service").stream()
                .filter(s -> s.at("/metadata/name").asText().equals(sts.at("/spec/serviceName").asText()))
                .findFirst().orElseThrow(() -> new AssertionError("no Service named as the StatefulSet's "
                        + "serviceName " + sts.at("/spec/serviceName")));
        assertThat(service.at("/spec/clusterIP").asText()).as("the StatefulSet's Service is headless")
                .isEqualTo("None");
        assertThat(podLabels).containsAllEntriesOf(labels(service.at("/spec/selector")));
        assertThat(podLabels).containsAllEntriesOf(labels(one("PodDisruptionBudget").at("/spec/selector/matchLabels")));
        JsonNode podMonitor = one("PodMonitor");
        assertThat(podLabels).containsAllEntriesOf(labels(podMonitor.at("/spec/selector/matchLabels")));
        // The rules select job="runwatch"; jobLabel takes the job from that pod label.
        assertThat(podLabels.get(podMonitor.at("/spec/jobLabel").asText())).isEqualTo("runwatch");
        Set<String> portNames = new HashSet<>();
        container().path("ports").forEach(p -> portNames.add(p.path("name").asText()));
        podMonitor.at("/spec/podMetricsEndpoints").forEach(e -> {
            assertThat(portNames).contains(e.path("port").asText());
            assertThat(e.path("path").asText()).isEqualTo("/metrics");
        });
        service.at("/spec/ports").forEach(p -> assertThat(portNames).contains(p.path("targetPort").asText()));
        int replicas = sts.at("/spec/replicas").asInt();
        int maxUnavailable = one("PodDisruptionBudget").at("/spec/maxUnavailable").asInt(-1);
        assertThat(maxUnavailable).as("PDB: one instance at a time").isEqualTo(1);
        assertThat(replicas).isPositive();
    }

    void theContainerRunsTheImageWithProbesResourcesAndState() {
        JsonNode sts = one("StatefulSet");
        JsonNode c = container();
        List<String> args = new ArrayList<>();
        c.path("args").forEach(a -> args.add(a.asText()));
        assertThat(args).as("container args = the image's CMD").isEqualTo(image.args());
        assertThat(c.has("command")).as("the image's entrypoint (heap sizing) is kept").isFalse();
        int port = image.ports().get(0);
        JsonNode http = null;
        for (JsonNode p : c.path("ports")) {
            if (p.path("containerPort").asInt() == port) {
                http = p;
            }
        }
        assertThat(http).as("container port " + port).isNotNull();
        String portName = http.path("name").asText();
        assertThat(c.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/healthz");
        assertThat(c.at("/livenessProbe/httpGet/port").asText()).isEqualTo(portName);
        assertThat(c.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/readyz");
        assertThat(c.at("/readinessProbe/httpGet/port").asText()).isEqualTo(portName);
        assertThat(c.at("/startupProbe/httpGet/path").asText()).isEqualTo("/healthz");
        assertThat(c.at("/resources/requests/cpu").isMissingNode()).isFalse();
        assertThat(c.at("/resources/requests/memory").isMissingNode()).isFalse();
        assertThat(c.at("/resources/limits/memory").isMissingNode())
                .as("a memory limit: the heap is sized from it").isFalse();
        // State on the claim, at the image's volume.
        String claim = sts.at("/spec/volumeClaimTemplates/0/metadata/name").asText();
        assertThat(claim).isNotEmpty();
        Map<String, String> mounts = new LinkedHashMap<>();
        c.path("volumeMounts").forEach(m -> mounts.put(m.path("mountPath").asText(), m.path("name").asText()));
        assertThat(mounts).containsEntry(image.volumes().get(0), claim);
        assertThat(sts.at("/spec/volumeClaimTemplates/0/spec/resources/requests/storage").asText()).isNotEmpty();
        if (c.at("/securityContext/readOnlyRootFilesystem").asBoolean(false)) {
            assertThat(mounts).as("RocksDB unpacks its native library to /tmp").containsKey("/tmp");
        }
        JsonNode pod = sts.at("/spec/template/spec/securityContext");
        assertThat(pod.path("runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.path("runAsUser").asInt()).isEqualTo(Integer.parseInt(image.user().split(":")[0]));
        assertThat(pod.path("fsGroup").asInt()).as("fsGroup makes the volume writable").isPositive();
        assertThat(sts.at("/spec/template/spec/terminationGracePeriodSeconds").asInt())
                .as("longer than the 30 s RunwatchApp.close waits for Streams").isGreaterThan(30);
    }

    void everyEnvironmentVariableIsARunwatchFlagOrSetting() {
        Set<String> known = new HashSet<>();
        Settings.definitions().forEach(s -> known.add(s.envName()));
        CommandLine.Model.CommandSpec run = new CommandLine(new Main()).getSubcommands().get("run").getCommandSpec();
        run.options().forEach(o -> known.add("RUNWATCH_" + o.longestName().replaceFirst("^--", "")
                .toUpperCase(java.util.Locale.ROOT).replace('-', '_')));
        Set<String> defined = new HashSet<>();
        for (JsonNode var : container().path("env")) {
            String name = var.path("name").asText();
            if (name.startsWith("RUNWATCH_")) {
                assertThat(known).as("%s is neither a flag nor a setting of `runwatch run`", name).contains(name);
            }
            Matcher m = ENV_REF.matcher(var.path("value").asText());
            while (m.find()) {
                assertThat(defined).as("$(%s) in %s must be defined above it", m.group(1), name)
                        .contains(m.group(1));
            }
            defined.add(name);
        }
        assertThat(new ArrayList<>(env().keySet())).doesNotHaveDuplicates();
        // application.server: this pod's stable name under the headless Service, on the HTTP port.
        String server = env().get(Settings.STREAMS_APPLICATION_SERVER.envName());
        JsonNode sts = one("StatefulSet");
        assertThat(server).isEqualTo("$(POD_NAME)." + sts.at("/spec/serviceName").asText()
                + ".$(POD_NAMESPACE).svc.cluster.local:" + image.ports().get(0));
        assertThat(env()).containsKey(Settings.STREAMS_STANDBYS.envName());
        Settings.load(new java.util.Properties(), literalEnv(), Map.of()); // every literal value parses
    }

    private Map<String, String> literalEnv() {
        return env().entrySet().stream().filter(e -> e.getValue() != null && e.getKey().startsWith("RUNWATCH_")
                        && !ENV_REF.matcher(e.getValue()).find())
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    void topicsMatchTheCatalogueAndTheSettings() {
        Map<String, JsonNode> topics = new LinkedHashMap<>();
        for (JsonNode topic : ofKind("KafkaTopic")) {
            topics.put(topic.at("/spec/topicName").asText(), topic);
            assertThat(topic.at("/metadata/labels/strimzi.io~1cluster").asText()).isNotEmpty();
            assertThat(topic.at("/spec/config/cleanup.policy").asText()).as("runwatch's topics keep every record")
                    .isEqualTo("delete");
            assertThat(topic.at("/spec/config/retention.ms").asLong()).isPositive();
        }
        assertThat(topics.keySet()).containsExactlyInAnyOrderElementsOf(Topics.ALL);
        Set<Integer> inputPartitions = new HashSet<>();
        Topics.INPUTS.forEach(t -> inputPartitions.add(topics.get(t).at("/spec/partitions").asInt()));
        assertThat(inputPartitions).as("the input topics are co-partitioned").hasSize(1);
        int partitions = inputPartitions.iterator().next();
        assertThat(Integer.parseInt(setting(Settings.TOPIC_PARTITIONS)))
                .as("topics.partitions in the pod = the KafkaTopics' partitions (runwatch may create them first)")
                .isEqualTo(partitions);
        int replication = topics.get(Topics.INPUTS.get(0)).at("/spec/replicas").asInt();
        assertThat(Integer.parseInt(setting(Settings.TOPIC_REPLICATION)))
                .as("internal topics replicated like the KafkaTopics").isEqualTo(replication);
        assertThat(one("StatefulSet").at("/spec/replicas").asInt())
                .as("instances beyond the partition count would sit idle").isLessThanOrEqualTo(partitions);
    }

    void monitoringMatchesTheSources() throws IOException {
        ObjectNode expectedRule = GeneratedManifests.prometheusRule(repoRoot.resolve("alerts/rules"));
        JsonNode rule = one("PrometheusRule");
        assertThat(rule.at("/spec/groups")).as("PrometheusRule groups = alerts/rules/*.yml")
                .isEqualTo(expectedRule.at("/spec/groups"));
        int alerts = 0;
        for (JsonNode group : (ArrayNode) rule.at("/spec/groups")) {
            alerts += group.path("rules").size();
        }
        assertThat(alerts).isPositive();
        Map<String, String> dashboards = new LinkedHashMap<>();
        for (ObjectNode map : GeneratedManifests.dashboardConfigMaps(repoRoot.resolve("grafana/dashboards"))) {
            map.path("data").fields().forEachRemaining(e -> dashboards.put(e.getKey(), e.getValue().asText()));
        }
        Map<String, String> found = new LinkedHashMap<>();
        for (JsonNode map : ofKind("ConfigMap")) {
            if (map.at("/metadata/labels/" + GeneratedManifests.DASHBOARD_LABEL).isMissingNode()) {
                continue;
            }
            assertThat(map.at("/metadata/labels/" + GeneratedManifests.DASHBOARD_LABEL).isTextual())
                    .as("the sidecar matches the label value as the string \"1\"").isTrue();
            assertThat(map.at("/metadata/labels/" + GeneratedManifests.DASHBOARD_LABEL).asText()).isEqualTo("1");
            map.path("data").fields().forEachRemaining(e -> found.put(e.getKey(), e.getValue().asText()));
        }
        assertThat(found).as("dashboard ConfigMaps = grafana/dashboards/*.json, byte for byte").isEqualTo(dashboards);
    }

    private static Map<String, String> labels(JsonNode node) {
        Map<String, String> labels = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
        assertThat(labels).as("labels").isNotEmpty();
        return labels;
    }
}
