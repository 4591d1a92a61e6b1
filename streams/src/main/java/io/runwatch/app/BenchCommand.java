package io.runwatch.app;

import io.runwatch.bench.Bench;
import io.runwatch.bench.MonitorLauncher;
import io.runwatch.config.Setting;
import io.runwatch.config.Settings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
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
                + "under load, memory and /metrics per live run, per-record cost over a long run, and the "
                + "speed-up of several instances and threads over many partitions; print a markdown table. "
                + "Progress goes to stderr.")
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

    @Option(names = "--sections", split = ",", description = "Which of drain,latency,scale,length,scaleout to run "
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

    @Option(names = "--threads", description = "Stream threads of each application in the drain, latency, scale "
            + "and length sections (default: the streams.num.stream.threads setting, 1).")
    Integer threads;

    @Option(names = "--latency-rate", description = "Latency: background records/s (full 10000).")
    Double latencyRate;

    @Option(names = "--latency-runs", description = "Latency: runs of the background load (full 1000).")
    Integer latencyRuns;

    @Option(names = "--probes", description = "Latency: NaN probes, one a second (full 100: "
            + "fewer make the p99 just the largest).")
    Integer probes;

    @Option(names = "--max-runs", description = "Scale: live runs to grow to (full 100000).")
    Integer maxRuns;

    @Option(names = "--batch-runs", description = "Scale: runs added per batch (full 10000).")
    Integer batchRuns;

    @Option(names = "--scale-budget-s", description = "Scale: add no batch after this many seconds (full 180, "
            + "so that the whole bench takes about 10 minutes; 0: no limit).")
    Long scaleBudgetS;

    @Option(names = "--run-length", description = "Length: steps of the long run (full 1000000).")
    Long runLength;

    @Option(names = "--window", description = "Length: steps compared at its start and end (full 100000).")
    Long window;

    @Option(names = "--scaleout-partitions", description = "Scale-out: partitions of its topic (default 12).")
    Integer scaleOutPartitions;

    @Option(names = "--scaleout-steps", description = "Scale-out: steps per run of its drain, over --runs runs "
            + "(full 200, short 50).")
    Integer scaleOutSteps;

    @Option(names = "--scaleout-instances", split = ",", description = "Scale-out: instance counts, each a JVM "
            + "of its own (default 1,2).")
    List<Integer> scaleOutInstances;

    @Option(names = "--scaleout-threads", split = ",", description = "Scale-out: stream threads per instance "
            + "(full 1,2,4, short 1).")
    List<Integer> scaleOutThreads;

    @Option(names = "--scaleout-repetitions", description = "Scale-out: identity/runwatch pairs per "
            + "configuration (default 1).")
    Integer scaleOutRepetitions;

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
        Settings loaded = Main.loadSettings(config, overrides);
        int streamThreads = threads != null ? threads : loaded.integer(Settings.STREAMS_THREADS);
        Settings settings = loaded.with(Settings.TOPIC_PARTITIONS, plan.partitions())
                .with(Settings.STREAMS_THREADS, streamThreads);
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
            String table = Bench.run(bootstrap, clientConfig, label, new Launcher(settings, bootstrap, clientConfig),
                    settings, dir, plan, streamThreads, System.err);
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
                or(scaleOutPartitions, base.scaleOutPartitions()), or(scaleOutSteps, base.scaleOutSteps()),
                positive(scaleOutInstances, base.scaleOutInstances(), "--scaleout-instances"),
                positive(scaleOutThreads, base.scaleOutThreads(), "--scaleout-threads"),
                or(scaleOutRepetitions, base.scaleOutRepetitions()),
                sections == null || sections.isEmpty() ? base.sections() : EnumSet.copyOf(sections));
    }

    private static int or(Integer value, int fallback) {
        return value != null ? value : fallback;
    }

    private static List<Integer> positive(List<Integer> values, List<Integer> fallback, String flag) {
        if (values == null || values.isEmpty()) {
            return fallback;
        }
        if (values.stream().anyMatch(v -> v < 1)) {
            throw new IllegalArgumentException(flag + " takes counts of 1 or more, not " + values);
        }
        return List.copyOf(values);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    /**
     * Starts runwatch through {@link RunwatchApp}, as {@code run} does, with the bench's application id; its stream
     * threads are the {@code streams.num.stream.threads} setting (which wins over any Kafka client property).
     */
    record Launcher(Settings settings, String bootstrap, Properties clientConfig) implements MonitorLauncher {
        @Override
        public Monitor start(String applicationId, Path stateDir) throws IOException {
            RunwatchApp app = start(applicationId, stateDir, false);
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

        /** @param paused join the group and take partitions, but process nothing until {@code resume()} */
        RunwatchApp start(String applicationId, Path stateDir, boolean paused) throws IOException {
            RunwatchApp app = RunwatchApp.start(settings.with(Settings.APPLICATION_ID, applicationId),
                    options(stateDir));
            if (paused) {
                // Streams is created on a background thread after the topics are checked; the pause is applied
                // there if it comes first, and the bench checks that nothing was committed before it resumes.
                app.pause();
            }
            return app;
        }

        @Override
        public Properties streamsProperties(String applicationId, Path stateDir) {
            return RunwatchApp.streamsProperties(settings.with(Settings.APPLICATION_ID, applicationId),
                    options(stateDir));
        }

        Launcher withThreads(int threads) {
            return new Launcher(settings.with(Settings.STREAMS_THREADS, threads), bootstrap, clientConfig);
        }

        /** {@code java -cp <this class path> io.runwatch.app.BenchWorker <settings> <kafka config> <bootstrap>}. */
        @Override
        public List<String> instanceCommand(Path workDir) throws IOException {
            Properties values = new Properties();
            for (Setting setting : Settings.definitions()) {
                values.setProperty(setting.key(), value(settings, setting));
            }
            Path settingsFile = privateFile(workDir.resolve("instance-settings.properties"));
            Path kafkaFile = privateFile(workDir.resolve("instance-kafka.properties"));
            try (var out = Files.newOutputStream(settingsFile)) {
                values.store(out, "runwatch bench: the settings of every scale-out instance");
            }
            try (var out = Files.newOutputStream(kafkaFile)) {
                clientConfig.store(out, "runwatch bench: Kafka client settings of every scale-out instance");
            }
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            return List.of(java, "-cp", System.getProperty("java.class.path"), BenchWorker.class.getName(),
                    settingsFile.toString(), kafkaFile.toString(), bootstrap);
        }

        private static String value(Settings settings, Setting setting) {
            return switch (setting.type()) {
                case STRING -> settings.string(setting);
                case INT -> Integer.toString(settings.integer(setting));
                case LONG -> Long.toString(settings.longValue(setting));
                case DOUBLE -> Double.toString(settings.decimal(setting));
                case BOOLEAN -> Boolean.toString(settings.bool(setting));
            };
        }

        /** An empty file only its owner may read: the Kafka client settings may hold a password. */
        private static Path privateFile(Path file) throws IOException {
            Files.deleteIfExists(file);
            try {
                return Files.createFile(file, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                return Files.createFile(file);
            }
        }

        private RunwatchApp.Options options(Path stateDir) {
            Properties kafka = new Properties();
            kafka.putAll(clientConfig);
            return new RunwatchApp.Options(bootstrap, kafka, stateDir, "127.0.0.1", 0);
        }
    }
}
