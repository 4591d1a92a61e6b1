package io.runwatch.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.runwatch.e2e.RepoRoot;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The example dashboard for Grafana's Infinity data source (grafana/examples/) asks only for endpoints runwatch
 * serves and names only fields the views have, so renaming a field without fixing the example fails here.
 */
class GrafanaInfinityExampleTest {
    private static final Pattern URL = Pattern.compile("\\$\\{runwatch}(/runs|/runs/\\$\\{run:percentencode}"
            + "|/alerts\\?state=(firing|resolved|all))");
    /** Identifiers of a JSONata expression once strings and $functions are taken out. */
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![$\\w])[a-z_]+(?![\\w(])");

    @Test
    void everyQueryUsesAServedEndpointAndExistingFields() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(RepoRoot.grafana()
                .resolve("examples/runwatch-queries-infinity.json").toFile());
        Set<String> fields = viewFields();
        List<String> checked = new ArrayList<>();
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.get("targets")) {
                String url = target.get("url").asText();
                assertThat(URL.matcher(url).matches()).as(url).isTrue();
                String root = target.get("root_selector").asText().replaceAll("\"[^\"]*\"", "");
                Matcher m = IDENTIFIER.matcher(root);
                while (m.find()) {
                    assertThat(fields).as("field %s in %s", m.group(), panel.get("title")).contains(m.group());
                    checked.add(m.group());
                }
                if (root.matches("[a-z_]+")) { // a plain array of views: the columns are its fields
                    target.get("columns").forEach(c -> {
                        assertThat(fields).as(panel.get("title").asText()).contains(c.get("selector").asText());
                        checked.add(c.get("selector").asText());
                    });
                }
            }
        }
        assertThat(checked).contains("runs", "open_alerts", "rollback_to_step", "noise_class", "missing_partitions");
    }

    private static Set<String> viewFields() {
        Set<String> fields = new HashSet<>();
        PropertyNamingStrategies.SnakeCaseStrategy snake = new PropertyNamingStrategies.SnakeCaseStrategy();
        for (Class<?> view : QueryViews.class.getDeclaredClasses()) {
            if (view.isRecord()) {
                for (RecordComponent component : view.getRecordComponents()) {
                    fields.add(snake.translate(component.getName()));
                }
            }
        }
        return fields;
    }
}
