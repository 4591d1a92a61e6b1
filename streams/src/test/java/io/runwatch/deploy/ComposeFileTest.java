package io.runwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.runwatch.config.Settings;
import io.runwatch.e2e.RepoRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * deploy/compose/compose.yaml checked without Docker: the services the stack needs, wired to each other and to
 * the repository's alert rules and dashboards. `docker-compose config` validates the file in DeployToolsIT.
 */
class ComposeFileTest {
    private static Path root;
    private static Path composeDir;
    private static JsonNode services;
    private static ImageSpec image;

    @BeforeAll
    static void load() throws Exception {
        root = RepoRoot.find();
        composeDir = root.resolve("deploy/compose");
        // SnakeYAML resolves the `<<:` merge keys the file uses (Jackson's YAML parser does not).
        Object parsed = new Yaml().load(Files.readString(composeDir.resolve("compose.yaml")));
        services = new ObjectMapper().valueToTree(parsed).path("services");
        image = ImageSpec.load(root);
    }

    private static Map<String, String> env(JsonNode service) {
        Map<String, String> env = new LinkedHashMap<>();
        service.path("environment").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        return env;
    }

    /** host path (resolved against the compose directory) → container path, of the bind mounts. */
    private static Map<Path, String> binds(JsonNode service) {
        Map<Path, String> binds = new LinkedHashMap<>();
        for (JsonNode volume : service.path("volumes")) {
            String[] parts = volume.asText().split(":");
            if (parts[0].startsWith(".")) {
                binds.put(composeDir.resolve(parts[0]).normalize(), parts[1]);
            }
        }
        return binds;
    }

    private static List<String> runwatchInstances() {
        List<String> names = new ArrayList<>();
        services.fieldNames().forEachRemaining(name -> {
            JsonNode s = services.path(name);
            if (s.path("image").asText().contains("runwatch") && !s.has("command")) {
                names.add(name);
            }
        });
        return names;
    }

    @Test
    void kafkaIsASingleKraftNodeOfTheVersionRunwatchIsBuiltAgainst() throws Exception {
        JsonNode kafka = services.path("kafka");
        String kafkaVersion = ImageSpec.parentProperty(root, "kafka.version");
        assertThat(kafka.path("image").asText()).isEqualTo("apache/kafka:" + kafkaVersion);
        assertThat(env(kafka).get("KAFKA_PROCESS_ROLES")).isEqualTo("broker,controller");
        assertThat(env(kafka)).doesNotContainKey("KAFKA_ZOOKEEPER_CONNECT")
                .containsEntry("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1");
        assertThat(kafka.has("healthcheck")).isTrue();
    }

    @Test
    void twoRunwatchInstancesShareOneApplicationIdWithTheirOwnStateAndAddress() {
        List<String> instances = runwatchInstances();
        assertThat(instances).hasSize(2);
        List<String> volumes = new ArrayList<>();
        for (String name : instances) {
            JsonNode s = services.path(name);
            Map<String, String> env = env(s);
            assertThat(env.get("RUNWATCH_APPLICATION_ID")).isEqualTo("runwatch");
            assertThat(env.get("RUNWATCH_BOOTSTRAP_SERVERS")).isEqualTo("kafka:9092");
            assertThat(env.get("RUNWATCH_STREAMS_APPLICATION_SERVER"))
                    .isEqualTo(s.path("hostname").asText() + ":" + image.ports().get(0));
            for (String key : env.keySet()) {
                assertThat(Settings.definitions().stream().anyMatch(d -> d.envName().equals(key))
                        || key.equals("RUNWATCH_BOOTSTRAP_SERVERS")).as(key + " is a setting or flag").isTrue();
            }
            Settings.load(new java.util.Properties(), env, Map.of()); // every value parses and is in range
            for (JsonNode v : s.path("volumes")) {
                if (v.asText().endsWith(":" + image.volumes().get(0))) {
                    volumes.add(v.asText().split(":")[0]);
                }
            }
            for (JsonNode port : s.path("ports")) {
                assertThat(port.asText()).startsWith("127.0.0.1:").endsWith(":" + image.ports().get(0));
            }
        }
        assertThat(volumes).as("one state volume per instance at the image's " + image.volumes())
                .hasSize(2).doesNotHaveDuplicates();
    }

    @Test
    void prometheusScrapesBothInstancesAndLoadsTheRepositorysRules() throws Exception {
        JsonNode prometheus = services.path("prometheus");
        Map<Path, String> binds = binds(prometheus);
        assertThat(binds).containsKey(root.resolve("alerts/rules"));
        String rulesDir = binds.get(root.resolve("alerts/rules"));
        JsonNode config = new ObjectMapper().valueToTree(new Yaml().load(
                Files.readString(composeDir.resolve("prometheus.yml"))));
        assertThat(config.path("rule_files").get(0).asText()).isEqualTo(rulesDir + "/*.yml");
        assertThat(binds.get(composeDir.resolve("prometheus.yml"))).isEqualTo("/etc/prometheus/prometheus.yml");
        JsonNode job = config.path("scrape_configs").get(0);
        assertThat(job.path("job_name").asText()).as("the rules select job=\"runwatch\"").isEqualTo("runwatch");
        List<String> targets = new ArrayList<>();
        job.at("/static_configs/0/targets").forEach(t -> targets.add(t.asText()));
        assertThat(targets).containsExactlyInAnyOrderElementsOf(runwatchInstances().stream()
                .map(n -> services.path(n).path("hostname").asText() + ":" + image.ports().get(0)).toList());
        assertThat(config.at("/alerting/alertmanagers/0/static_configs/0/targets/0").asText())
                .isEqualTo("alertmanager:9093");
    }

    @Test
    void alertmanagerAndGrafanaGetTheRepositorysConfiguration() throws Exception {
        Map<Path, String> am = binds(services.path("alertmanager"));
        assertThat(am).containsEntry(root.resolve("alerts/alertmanager.yml"), "/etc/alertmanager/alertmanager.yml");
        String amConfig = Files.readString(root.resolve("alerts/alertmanager.yml"));
        for (String target : am.values()) {
            if (target.contains("/secrets/")) {
                assertThat(amConfig).contains("routing_key_file: " + target);
            }
        }
        JsonNode grafana = services.path("grafana");
        Map<Path, String> binds = binds(grafana);
        assertThat(binds.get(root.resolve("grafana/dashboards")))
                .isEqualTo(env(grafana).get("RUNWATCH_GRAFANA_DASHBOARDS"));
        assertThat(binds).containsEntry(root.resolve("grafana/provisioning/datasources"),
                "/etc/grafana/provisioning/datasources");
        assertThat(binds).containsEntry(root.resolve("grafana/provisioning/dashboards"),
                "/etc/grafana/provisioning/dashboards");
        assertThat(env(grafana).get("RUNWATCH_PROMETHEUS_URL")).isEqualTo("http://prometheus:9090");
    }

    @Test
    void aTailSidecarFollowsALogFileFromAMountedDirectory() {
        JsonNode tail = services.path("trainer-tail");
        List<String> command = new ArrayList<>();
        tail.path("command").forEach(c -> command.add(c.asText()));
        assertThat(command.get(0)).isEqualTo("tail");
        assertThat(command).containsSubsequence("--format", "auto").contains("--run")
                .containsSubsequence("--bootstrap-servers", "kafka:9092");
        String file = command.get(command.size() - 1);
        Map<Path, String> binds = binds(tail);
        assertThat(binds.values()).anySatisfy(dir -> assertThat(file).startsWith(dir + "/"));
        assertThat(tail.path("image").asText()).isEqualTo(services.path("runwatch-1").path("image").asText());
    }

    @Test
    void everyBindMountSourceExistsInTheRepositoryAndEveryPortIsLocal() {
        services.fieldNames().forEachRemaining(name -> {
            binds(services.path(name)).keySet().forEach(source ->
                    assertThat(source).as(name + " mounts " + source).exists());
            services.path(name).path("ports").forEach(port ->
                    assertThat(port.asText()).as(name).startsWith("127.0.0.1:"));
        });
    }
}
