package io.runwatch.app;

import io.runwatch.bench.Bench;
import io.runwatch.bench.MonitorLauncher;
import io.runwatch.config.Settings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code runwatch bench}: the performance benchmark (see {@link Bench}). Starts an embedded broker unless
 * {@code --bootstrap-servers} is given, runs runwatch exactly as {@code run} does, prints a markdown table.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure runwatch against an identity Kafka Streams app on the same records, alert latency "
                + "under load, memory and /metrics per live run, and per-record cost over a long run; print a "
                + "markdown table. Progress goes to stderr.")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--short", description = "Every section at a small size (under a minute): shows that it works, "
            + "not the speed.")
    boolean quick;

    @Option(names = "--bootstrap-servers", description = "Kafka to measure against; without it an embedded "
            + "single-node broker is started. The bench deletes and re-creates runwatch's topics: needs "
            + "--reset-topics.")
    String bootstrapServers;

    @Option(names = "--reset-topics", description = "Allow deleting runwatch's topics on --bootstrap-servers.")
    boolean resetTopics;

    @Option(names = "--kafka-config", description = "Properties file of extra Kafka client settings.")
    Path kafkaConfig;

    @Option(names = "--work-dir", description = "Broker log and state stores (default: a fresh temporary "
            + "directory, removed afterwards).")
    Path workDir;

    @Option(names = "--sections", split = ",", description = "Which of drain,latency,scale,length to run "
            + "(default: all).")
    Set<Bench.Section> sections;

    @Option(names = "--runs", description = "Drain: runs pre-loaded (full 1000).")
    Integer runs;

    @Option(names = "--steps", description = "Drain: steps per run (full 500).")
    Integer steps;

    @Option(names = "--repetitions", description = "Drain: identity/runwatch pairs (full 3).")
    Integer repetitions;

    @Option(names = "--warmups", description = "Drain: pairs run first and not counted (full 1, short 0).")
    Integer warmups;

    @Option(names = "--partitions", description = "Partitions of every topic (default 1).")
    Integer partitions;

    @Option(names = "--threads", defaultValue = "1", description = "Stream threads of each application "
            + "(default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--latency-rate", description = "Latency: background records/s (full 10000).")
    Double latencyRate;

    @Option(names = "--latency-runs", description = "Latency: runs of the background load (full 1000).")
    Integer latencyRuns;

    @Option(names = "--probes", description = "Latency: NaN probes, one a second (full 30).")
    Integer probes;

    @Option(names = "--max-runs", description = "Scale: live runs to grow to (full 100000).")
    Integer maxRuns;

    @Option(names = "--batch-runs", description = "Scale: runs added per batch (full 10000).")
    Integer batchRuns;

    @Option(names = "--scale-budget-s", description = "Scale: add no batch after this many seconds (full 900; "
            + "0: no limit).")
    Long scaleBudgetS;

    @Option(names = "--run-length", description = "Length: steps of the long run (full 1000000).")
    Long runLength;

    @Option(names = "--window", description = "Length: steps compared at its start and end (full 100000).")
    Long window;

    @Option(names = "--out", description = "Also write the table to this file.")
    Path out;

    @Option(names = "--config", description = "Properties file of runwatch settings.")
    Path config;

    @Option(names = "--set", description = "One setting as key=value; repeatable.")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        if (bootstrapServers != null && !bootstrapServers.isBlank() && !resetTopics) {
            System.err.println("bench: it deletes and re-creates runwatch's topics on " + bootstrapServers
                    + "; add --reset-topics if that cluster is yours to clear");
            return 2;
        }
        Bench.Plan plan = plan();
        Settings settings = Main.loadSettings(config, overrides).with(Settings.TOPIC_PARTITIONS, plan.partitions());
        Properties clientConfig = new Properties();
        if (kafkaConfig != null) {
            try (InputStream in = Files.newInputStream(kafkaConfig)) {
                clientConfig.load(in);
            }
        }
        boolean temporary = workDir == null;
        Path dir = temporary ? Files.createTempDirectory("runwatch-bench") : Files.createDirectories(workDir);
        EmbeddedKafka broker = null;
        try {
            String bootstrap = bootstrapServers;
            String label = bootstrapServers;
            if (bootstrap == null || bootstrap.isBlank()) {
                broker = EmbeddedKafka.start(dir.resolve("kafka"));
                bootstrap = broker.bootstrapServers();
                label = "embedded (in this JVM)";
            }
            String table = Bench.run(bootstrap, clientConfig, label, new Launcher(settings, bootstrap, clientConfig,
                    threads), settings, dir, plan, threads, System.err);
            System.out.print(table);
            if (out != null) {
                Files.writeString(out, table, StandardCharsets.UTF_8);
            }
            return 0;
        } finally {
            if (broker != null) {
                broker.close();
            }
            if (temporary) {
                deleteTree(dir);
            }
        }
    }

    Bench.Plan plan() {
        Bench.Plan base = quick ? Bench.Plan.quick() : Bench.Plan.full();
        return new Bench.Plan(base.name(), or(runs, base.runs()), or(steps, base.steps()),
                or(warmups, base.warmups()), or(repetitions, base.repetitions()), or(partitions, base.partitions()),
                latencyRate != null ? latencyRate : base.latencyRate(), or(latencyRuns, base.latencyRuns()),
                or(probes, base.probes()), or(maxRuns, base.maxRuns()), or(batchRuns, base.batchRuns()),
                base.recordsPerScaleRun(), scaleBudgetS != null ? scaleBudgetS : base.scaleBudgetS(),
                runLength != null ? runLength : base.runLength(),
                window != null ? window : base.window(),
                sections == null || sections.isEmpty() ? base.sections() : EnumSet.copyOf(sections));
    }

    private static int or(Integer value, int fallback) {
        return value != null ? value : fallback;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    /** Starts runwatch through {@link RunwatchApp}, as {@code run} does, with the bench's application id. */
    private record Launcher(Settings settings, String bootstrap, Properties clientConfig, int threads)
            implements MonitorLauncher {
        @Override
        public Monitor start(String applicationId, Path stateDir) throws IOException {
            RunwatchApp app = RunwatchApp.start(settings.with(Settings.APPLICATION_ID, applicationId),
                    options(stateDir));
            return new Monitor() {
                @Override
                public int httpPort() {
                    return app.httpPort();
                }

                @Override
                public boolean awaitRunning(Duration timeout) throws InterruptedException {
                    return app.awaitRunning(timeout);
                }

                @Override
                public void close() {
                    app.close();
                }
            };
        }

        @Override
        public Properties streamsProperties(String applicationId, Path stateDir) {
            return RunwatchApp.streamsProperties(settings.with(Settings.APPLICATION_ID, applicationId),
                    options(stateDir));
        }

        private RunwatchApp.Options options(Path stateDir) {
            Properties kafka = new Properties();
            kafka.putAll(clientConfig);
            kafka.put("num.stream.threads", Integer.toString(threads));
            return new RunwatchApp.Options(bootstrap, kafka, stateDir, "127.0.0.1", 0);
        }
    }
}
