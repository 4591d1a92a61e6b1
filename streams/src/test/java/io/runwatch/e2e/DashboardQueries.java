package io.runwatch.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.contract.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Every PromQL expression in the Grafana dashboards (panel targets, annotation queries and query variables),
 * so a test can run them against a real Prometheus: Grafana itself cannot run here.
 *
 * <pre>
 * List&lt;DashboardQueries.Outcome&gt; outcomes = DashboardQueries.runAll(prometheus,
 *         DashboardQueries.all(RepoRoot.grafana()), DashboardQueries.variables("r1", "5s"));
 * </pre>
 */
public final class DashboardQueries {
    private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\((.*),\\s*(\\w+)\\s*\\)\\s*$");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{(\\w+)(?::\\w+)?}|\\[\\[(\\w+)]]|\\$(\\w+)");

    private DashboardQueries() {
    }

    /**
     * One expression: the dashboard's title, where it sits ({@code panel title}, {@code variable: name} or
     * {@code annotation: name}), its refId, and the expression as written, with Grafana variables.
     */
    public record Query(String dashboard, String panel, String refId, String expr) {
        /** The expression with Grafana's variables replaced by {@code values} (name without the dollar). */
        public String resolved(Map<String, String> values) {
            Matcher m = VARIABLE.matcher(expr);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String name = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
                String value = values.get(name);
                if (value == null) {
                    throw new IllegalArgumentException("No value for $" + name + " in " + this);
                }
                m.appendReplacement(out, Matcher.quoteReplacement(value));
            }
            m.appendTail(out);
            return out.toString();
        }

        @Override
        public String toString() {
            return dashboard + " / " + panel + " [" + refId + "]: " + expr;
        }
    }

    /** The result of running one resolved query: an error from Prometheus, or the number of series returned. */
    public record Outcome(Query query, String resolvedExpr, String error, int series) {
        public boolean failed() {
            return error != null;
        }

        @Override
        public String toString() {
            return query.dashboard() + " / " + query.panel() + " [" + query.refId() + "] "
                    + (failed() ? "ERROR " + error : series + " series") + ": " + resolvedExpr;
        }
    }

    /** Variable values for a test Prometheus: one run, every benchmark, and rate windows that fit its scrapes. */
    public static Map<String, String> variables(String run, String rateInterval) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("run", run);
        values.put("benchmark", ".+");
        values.put("__rate_interval", rateInterval);
        values.put("__interval", rateInterval);
        values.put("__range", "1h");
        return values;
    }

    /** Every query of every {@code dashboards/*.json} under {@code grafanaDir}, in file and panel order. */
    public static List<Query> all(Path grafanaDir) {
        List<Query> queries = new ArrayList<>();
        try (Stream<Path> files = Files.list(grafanaDir.resolve("dashboards"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                queries.addAll(of(Json.MAPPER.readTree(file.toFile())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return queries;
    }

    /** The queries of one dashboard's JSON. */
    public static List<Query> of(JsonNode dashboard) {
        String title = dashboard.path("title").asText();
        List<Query> queries = new ArrayList<>();
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if ("query".equals(variable.path("type").asText())) {
                JsonNode q = variable.path("query");
                String text = q.isTextual() ? q.asText() : q.path("query").asText();
                queries.add(new Query(title, "variable: " + variable.path("name").asText(), "var",
                        variableQueryAsPromQl(text)));
            }
        }
        for (JsonNode annotation : dashboard.path("annotations").path("list")) {
            if (annotation.hasNonNull("expr")) {
                queries.add(new Query(title, "annotation: " + annotation.path("name").asText(), "annotation",
                        annotation.path("expr").asText()));
            }
        }
        collectPanels(title, dashboard.path("panels"), queries);
        return queries;
    }

    /** Runs every query against {@code prometheus} with the given variable values. */
    public static List<Outcome> runAll(PrometheusProcess prometheus, List<Query> queries, Map<String, String> values) {
        List<Outcome> outcomes = new ArrayList<>();
        for (Query query : queries) {
            String expr = query.resolved(values);
            try {
                outcomes.add(new Outcome(query, expr, null, prometheus.querySeries(expr).size()));
            } catch (PrometheusProcess.PromQlException e) {
                outcomes.add(new Outcome(query, expr, e.getMessage(), 0));
            }
        }
        return outcomes;
    }

    /**
     * Grafana's {@code label_values(selector, label)} as the PromQL that returns the same label values;
     * other variable queries are PromQL already.
     */
    static String variableQueryAsPromQl(String variableQuery) {
        Matcher m = LABEL_VALUES.matcher(variableQuery);
        return m.matches() ? "group by (" + m.group(2) + ") (" + m.group(1) + ")" : variableQuery;
    }

    private static void collectPanels(String dashboard, JsonNode panels, List<Query> into) {
        for (JsonNode panel : panels) {
            for (JsonNode target : panel.path("targets")) {
                if (target.hasNonNull("expr") && !target.path("expr").asText().isBlank()) {
                    into.add(new Query(dashboard, panel.path("title").asText(), target.path("refId").asText(),
                            target.path("expr").asText()));
                }
            }
            collectPanels(dashboard, panel.path("panels"), into); // panels inside collapsed rows
        }
    }
}
