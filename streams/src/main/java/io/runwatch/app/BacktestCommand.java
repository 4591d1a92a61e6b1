package io.runwatch.app;

import io.runwatch.config.Settings;
import io.runwatch.contract.AlertJson;
import io.runwatch.core.Alert;
import io.runwatch.topology.Topics;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code runwatch backtest}: the production topology over recorded JSON-lines files, alerts to a file. */
@Command(name = "backtest", mixinStandardHelpOptions = true,
        description = "Replay recorded JSON-lines files through the production topology on record time and "
                + "write every alert record as one JSON line. A summary goes to stderr.")
final class BacktestCommand implements Callable<Integer> {
    @Option(names = "--metrics", arity = "1..*", description = "Training-metrics files (runwatch.metrics contract).")
    List<Path> metrics = new ArrayList<>();

    @Option(names = "--evals", arity = "1..*", description = "Checkpoint-evaluation files (runwatch.evals contract).")
    List<Path> evals = new ArrayList<>();

    @Option(names = "--events", arity = "1..*", description = "Run-event files (runwatch.events contract).")
    List<Path> events = new ArrayList<>();

    @Option(names = "--out", required = true, description = "Where to write the alerts (JSON lines).")
    Path out;

    @Option(names = "--config", description = "Properties file of runwatch settings.")
    Path config;

    @Option(names = "--set", description = "One setting as key=value; repeatable.")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        if (metrics.isEmpty() && evals.isEmpty() && events.isEmpty()) {
            System.err.println("backtest: give at least one of --metrics, --evals, --events");
            return 2;
        }
        Settings settings = Main.loadSettings(config, overrides);
        for (List<Path> files : List.of(metrics, evals, events)) {
            for (Path file : files) {
                Main.readableFile(file);
            }
        }
        List<Backtest.Line> lines = new ArrayList<>();
        lines.addAll(Backtest.readFiles(Topics.METRICS.name(), metrics, 0));
        lines.addAll(Backtest.readFiles(Topics.EVALS.name(), evals, metrics.size()));
        lines.addAll(Backtest.readFiles(Topics.EVENTS.name(), events, metrics.size() + evals.size()));
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Backtest.Result result;
        try (BufferedWriter writer = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            result = new Backtest(settings).run(lines, alert -> {
                try {
                    writer.write(AlertJson.write(alert));
                    writer.newLine();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }
        Map<String, Integer> byKind = new TreeMap<>();
        for (Alert alert : result.alerts()) {
            byKind.merge(alert.type() + " " + alert.severity() + " " + alert.state(), 1, Integer::sum);
        }
        System.err.printf("backtest: %d records in %.2f s (%.0f records/s), %d alert records, %d dead letters%n",
                result.records(), result.elapsedMs() / 1000.0,
                result.records() * 1000.0 / Math.max(1, result.elapsedMs()), result.alerts().size(),
                result.deadLetters().size());
        byKind.forEach((kind, n) -> System.err.printf("  %-40s %d%n", kind, n));
        result.deadLetters().stream().limit(10).forEach(d -> System.err.printf(
                "  dead letter: %s offset %d: %s (%s)%n", d.topic(), d.offset(), d.reason(), d.detail()));
        System.err.println("alerts written to " + out);
        return 0;
    }
}
