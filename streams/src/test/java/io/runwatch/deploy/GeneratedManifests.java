package io.runwatch.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.runwatch.e2e.RepoRoot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.yaml.snakeyaml.DumperOptions;

/**
 * The Kubernetes manifests made from other files of the repository, so that they cannot disagree with them:
 * the {@code PrometheusRule} from {@code alerts/rules/*.yml} and one dashboard {@code ConfigMap} per
 * {@code grafana/dashboards/*.json}. {@code GeneratedManifestsTest} fails when the committed files differ.
 *
 * <p>Regenerate after changing a rule or a dashboard, from the repository root: {@link #REGENERATE}.
 */
public final class GeneratedManifests {
    /** The command that rewrites the generated files, quoted in their headers and in the drift message. */
    public static final String REGENERATE = "mvn -B -q -Pevaluate -pl streams test-compile exec:java "
            + "-Devaluate.main=io.runwatch.deploy.GeneratedManifests";
    public static final String PROMETHEUS_RULE = "deploy/k8s/base/generated/prometheusrule.yaml";
    public static final String DASHBOARDS = "deploy/k8s/base/generated/grafana-dashboards.yaml";
    /** The label the Grafana dashboard sidecar (kiwigrid k8s-sidecar, kube-prometheus-stack) selects on. */
    public static final String DASHBOARD_LABEL = "grafana_dashboard";

    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
            .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
            .dumperOptions(longLines())
            .build());

    /** No folding of long PromQL and templates into escaped continuation lines: the output stays readable. */
    private static DumperOptions longLines() {
        DumperOptions options = new DumperOptions();
        options.setWidth(100_000);
        options.setSplitLines(false);
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setIndent(2);
        options.setIndicatorIndent(2);
        options.setIndentWithIndicator(true);
        return options;
    }

    private GeneratedManifests() {
    }

    /** Rewrites the generated files under {@code root} (the repository root; default: found from here). */
    public static void main(String[] args) throws IOException {
        Path root = args.length > 0 ? Path.of(args[0]) : RepoRoot.find();
        for (Map.Entry<String, String> file : render(root).entrySet()) {
            Path target = root.resolve(file.getKey());
            Files.createDirectories(target.getParent());
            Files.writeString(target, file.getValue(), StandardCharsets.UTF_8);
            System.out.println("wrote " + target);
        }
    }

    /** Repository-relative path → the content it must have. */
    public static Map<String, String> render(Path root) throws IOException {
        Map<String, String> files = new LinkedHashMap<>();
        files.put(PROMETHEUS_RULE, header("alerts/rules/*.yml") + YAML.writeValueAsString(
                prometheusRule(root.resolve("alerts/rules"))));
        List<String> docs = new ArrayList<>();
        for (ObjectNode configMap : dashboardConfigMaps(root.resolve("grafana/dashboards"))) {
            docs.add(YAML.writeValueAsString(configMap));
        }
        files.put(DASHBOARDS, header("grafana/dashboards/*.json") + String.join("---\n", docs));
        return files;
    }

    /** The generated files whose committed content differs from what the sources give now. */
    public static List<String> stale(Path root) throws IOException {
        List<String> stale = new ArrayList<>();
        for (Map.Entry<String, String> file : render(root).entrySet()) {
            Path path = root.resolve(file.getKey());
            if (!Files.exists(path) || !Files.readString(path, StandardCharsets.UTF_8).equals(file.getValue())) {
                stale.add(file.getKey());
            }
        }
        return stale;
    }

    private static String header(String source) {
        return "# GENERATED from " + source + " by io.runwatch.deploy.GeneratedManifests: do not edit.\n"
                + "# Regenerate: " + REGENERATE + "\n";
    }

    /** One PrometheusRule holding every group of every rule file, in file-name order. */
    public static ObjectNode prometheusRule(Path rulesDir) throws IOException {
        ObjectNode rule = YAML.createObjectNode();
        rule.put("apiVersion", "monitoring.coreos.com/v1");
        rule.put("kind", "PrometheusRule");
        ObjectNode metadata = rule.putObject("metadata");
        metadata.put("name", "runwatch");
        metadata.set("labels", commonLabels());
        ArrayNode groups = rule.putObject("spec").putArray("groups");
        for (Path file : sorted(rulesDir, ".yml")) {
            JsonNode parsed = YAML.readTree(file.toFile());
            JsonNode fileGroups = parsed == null ? null : parsed.get("groups");
            if (fileGroups == null || !fileGroups.isArray()) {
                throw new IllegalStateException(file + " has no `groups:` list");
            }
            fileGroups.forEach(groups::add);
        }
        return rule;
    }

    /** One ConfigMap per dashboard, labelled for the Grafana sidecar, holding the JSON byte for byte. */
    public static List<ObjectNode> dashboardConfigMaps(Path dashboardsDir) throws IOException {
        List<ObjectNode> maps = new ArrayList<>();
        for (Path file : sorted(dashboardsDir, ".json")) {
            String name = file.getFileName().toString();
            ObjectNode map = YAML.createObjectNode();
            map.put("apiVersion", "v1");
            map.put("kind", "ConfigMap");
            ObjectNode metadata = map.putObject("metadata");
            metadata.put("name", "runwatch-dashboard-" + name.substring(0, name.length() - ".json".length()));
            ObjectNode labels = commonLabels();
            labels.put(DASHBOARD_LABEL, "1");
            metadata.set("labels", labels);
            // kube-prometheus-stack's sidecar puts dashboards with this annotation into a folder of that name.
            metadata.putObject("annotations").put("grafana_folder", "runwatch");
            map.putObject("data").put(name, Files.readString(file, StandardCharsets.UTF_8));
            maps.add(map);
        }
        return maps;
    }

    private static ObjectNode commonLabels() {
        ObjectNode labels = YAML.createObjectNode();
        labels.put("app.kubernetes.io/name", "runwatch");
        labels.put("app.kubernetes.io/part-of", "runwatch");
        return labels;
    }

    private static List<Path> sorted(Path dir, String suffix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
