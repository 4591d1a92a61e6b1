package io.runwatch.app;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.runwatch.contract.InputParser;
import io.runwatch.ingest.HfTrainerState;
import io.runwatch.ingest.TrainerLogFormats;
import io.runwatch.ingest.follow.OffsetFile;
import io.runwatch.health.HealthCheck;
import io.runwatch.health.HealthReport;
import io.runwatch.metrics.MetricsServer;
import io.runwatch.metrics.WebConfig;
import io.runwatch.metrics.TailMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code runwatch tail}: follows trainer logs and produces their contract records; see {@link Tailer}. */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = "Follow trainer log files (like tail -F) and produce their steps and events to "
                + "runwatch.metrics and runwatch.events, exactly once; or write them to --print-dir.")
final class TailCommand implements Callable<Integer> {
    static final int EXIT_STRICT = 2;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Log files to follow (need not exist yet); "
            + "for --format hf-state, a Trainer output directory (or one trainer_state.json).")
    List<Path> files = new ArrayList<>();

    @Option(names = "--format", defaultValue = "auto", description = "megatron, nemo, hf, hf-state, litgpt, "
            + "mmengine, nanogpt, llmc, modded-nanogpt, torchtitan, fairseq, olmo, nanotron, jsonl, kv or auto "
            + "(default: ${DEFAULT-VALUE}: detected from the first lines that match).")
    String format;

    @Option(names = "--run", description = "Run id of every record (default: from --run-from, else the file name "
            + "without extension; the directory name for hf-state).")
    String run;

    @Option(names = "--run-from", description = "Regular expression over the file's path whose first group is "
            + "the run id, e.g. 'logs/([^/]+)/train.log'.")
    String runFrom;

    @Option(names = "--map", description = "For --format kv: contract field = log name, comma-separated, e.g. "
            + "loss=train/CE,step=iter.")
    String map;

    @Option(names = "--bootstrap-servers", description = "Kafka to produce to (env RUNWATCH_BOOTSTRAP_SERVERS).")
    String bootstrapServers;

    @Option(names = "--kafka-config", description = "Properties file of extra Kafka client settings "
            + "(TLS, SASL, ...).")
    Path kafkaConfig;

    @Option(names = "--no-follow", description = "Stop at the end of the file(s) instead of waiting for more.")
    boolean noFollow;

    @Option(names = "--print-dir", description = "Write DIR/metrics.jsonl and DIR/events.jsonl instead of "
            + "producing (check a parser on a log; feed them to backtest).")
    Path printDir;

    @Option(names = "--strict", description = "An unparsed line is fatal: one line naming file and line number "
            + "on stderr, exit status 2.")
    boolean strict;

    @Option(names = "--end-on-exit", paramLabel = "PID", description = "When this process exits, read the logs "
            + "to their end, send an end event for each run and stop.")
    Long endOnExit;

    @Option(names = "--offsets-file", description = "Where the tailer keeps its position and identity (default "
            + "with Kafka: .<first FILE name>.runwatch-tail.offsets beside it; with --print-dir: none, every run "
            + "starts over).")
    Path offsetsFile;

    @Option(names = "--http-host", defaultValue = "127.0.0.1", description = "Address of the tailer's /metrics "
            + "(default: ${DEFAULT-VALUE}).")
    String httpHost;

    @Option(names = "--http-port", description = "Serve the tailer's own /metrics on this port (0 picks a free "
            + "one); none without it.")
    Integer httpPort;

    @Option(names = "--poll-interval-ms", defaultValue = "100", description = "How often the files are looked "
            + "at when idle (default: ${DEFAULT-VALUE}).")
    long pollIntervalMs;

    @Option(names = "--idle-flush-ms", defaultValue = "1000", description = "A file quiet this long has the "
            + "parser's held-back records (an open multi-line block) sent (default: ${DEFAULT-VALUE}).")
    long idleFlushMs;

    @Option(names = "--report-interval-s", defaultValue = "60", description = "How often new unparsed lines are "
            + "reported on stderr (default: ${DEFAULT-VALUE}); always at exit.")
    long reportIntervalS;

    private final Tailer.ParserFactory parsers;
    private final Tailer.HfStateReader hfState;
    private final PrintStream err;

    TailCommand() {
        this(null, null, System.err);
    }

    /** With given parsers (tests); null for the built-in ones. */
    TailCommand(Tailer.ParserFactory parsers, Tailer.HfStateReader hfState, PrintStream err) {
        this.parsers = parsers;
        this.hfState = hfState;
        this.err = err;
    }

    @Override
    public Integer call() throws Exception {
        if (printDir == null && (bootstrapServers == null || bootstrapServers.isBlank())) {
            err.println("runwatch tail: give --bootstrap-servers (or RUNWATCH_BOOTSTRAP_SERVERS), or --print-dir");
            return EXIT_STRICT;
        }
        List<Tailer.SourceSpec> specs = new ArrayList<>();
        for (Path file : files) {
            Optional<String> id = runOf(file);
            if (id.isEmpty()) {
                err.println("runwatch tail: no run id for " + file + ": give --run, or a --run-from whose first "
                        + "group matches its path");
                return EXIT_STRICT;
            }
            specs.add(new Tailer.SourceSpec(file, file.toString(), id.get()));
        }
        String canonical = TrainerLogFormats.canonical(format);
        if (parsers == null && !TrainerLogFormats.NAMES.contains(canonical)) {
            err.println("runwatch tail: unknown --format " + format + "; known: "
                    + String.join(", ", TrainerLogFormats.NAMES));
            return EXIT_STRICT;
        }
        Map<String, String> kv;
        try {
            kv = TrainerLogFormats.parseMap(map);
        } catch (IllegalArgumentException e) {
            err.println("runwatch tail: " + e.getMessage());
            return EXIT_STRICT;
        }
        Tailer.ParserFactory factory = parsers != null ? parsers : builtInParsers(kv);
        Tailer.HfStateReader hf = hfState != null ? hfState : builtInHfState();
        Path offsets = offsetsFile != null || printDir != null ? offsetsFile : defaultOffsetsFile(files.get(0));
        boolean resuming = offsets != null && Files.exists(offsets);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TailMetrics metrics = new TailMetrics(registry);
        MetricsServer http = null;
        CountDownLatch done = new CountDownLatch(1);
        Tailer tailer = null;
        boolean strictViolation = false;
        try {
            Tailer.Sink sink = printDir != null ? new PrintDirSink(printDir, resuming)
                    : new KafkaTailSink(bootstrapServers, kafkaProperties());
            tailer = new Tailer(specs, new Tailer.Options(canonical, factory, hf, strict, idleFlushMs,
                    reportIntervalS * 1000, err), sink, offsets == null ? null : new OffsetFile(offsets), metrics,
                    System::currentTimeMillis);
            if (httpPort != null) {
                long startedMs = System.currentTimeMillis();
                String tailing = "tailing " + specs.size() + " file(s)";
                // The tailer's own progress is on /metrics (last poll, bytes behind); health says the process is up.
                http = new MetricsServer(httpHost, httpPort, registry, () -> new HealthReport(
                        System.currentTimeMillis(), List.of(new HealthCheck("tailer_running", true, tailing,
                        startedMs)), List.of()), WebConfig.none());
                err.println("runwatch tail: metrics at http://" + httpHost + ":" + http.port() + "/metrics");
            }
            err.printf("runwatch tail: %d file(s) as %s -> %s (tailer %s%s)%n", specs.size(), format,
                    printDir != null ? printDir.toString() : "Kafka at " + bootstrapServers, tailer.tailerId(),
                    offsets == null ? "" : ", offsets " + offsets);
            if (noFollow) {
                tailer.finish(null);
            } else {
                follow(tailer, done);
            }
            return 0;
        } catch (Tailer.StrictViolation e) {
            strictViolation = true;
            err.println("runwatch tail: " + e.getMessage());
            return EXIT_STRICT;
        } catch (IllegalStateException | org.apache.kafka.common.KafkaException e) {
            // Kafka unreachable or refusing: what was committed stands; a restart resumes exactly there.
            err.println("runwatch tail: stopped: " + e.getMessage()
                    + (e.getCause() != null ? " (" + e.getCause().getMessage() + ")" : ""));
            return 1;
        } finally {
            if (tailer != null && !strictViolation) {
                tailer.reportUnparsed(true);
                tailer.summary().forEach(line -> err.println("runwatch tail: " + line));
                tailer.close();
            }
            if (tailer != null && strictViolation) {
                tailer.close(); // the violation is the whole report: one line
            }
            if (http != null) {
                http.close();
            }
            done.countDown();
        }
    }

    private void follow(Tailer tailer, CountDownLatch done) throws Exception {
        Optional<ProcessHandle> trainer = endOnExit == null ? Optional.empty() : ProcessHandle.of(endOnExit);
        if (endOnExit != null && trainer.isEmpty()) {
            err.println("runwatch tail: process " + endOnExit + " is not running; reading to the end and ending");
            tailer.finish("exited");
            return;
        }
        // SIGTERM/SIGINT: finish the current poll (its transaction and offsets), then let the JVM go.
        boolean[] stop = {false};
        Thread hook = new Thread(() -> {
            synchronized (stop) {
                stop[0] = true;
            }
            try {
                done.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "runwatch-tail-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        while (true) {
            synchronized (stop) {
                if (stop[0]) {
                    return;
                }
            }
            if (trainer.isPresent() && !trainer.get().isAlive()) {
                err.println("runwatch tail: process " + endOnExit + " exited; sending end events");
                tailer.finish("exited");
                return;
            }
            if (!tailer.pollOnce()) {
                Thread.sleep(pollIntervalMs);
            }
        }
    }

    /** The run id of a followed file: --run, else --run-from's first group, else the file (or directory) name. */
    Optional<String> runOf(Path file) {
        String id;
        if (run != null && !run.isBlank()) {
            id = run;
        } else if (runFrom != null) {
            Matcher m = Pattern.compile(runFrom).matcher(file.toString());
            if (!m.find() || m.groupCount() < 1 || m.group(1) == null) {
                return Optional.empty();
            }
            id = m.group(1);
        } else {
            Path named = file.getFileName() != null && file.getFileName().toString().equals("trainer_state.json")
                    && file.toAbsolutePath().getParent() != null ? file.toAbsolutePath().getParent() : file;
            id = stripExtensions(named.getFileName().toString());
        }
        id = id.strip();
        return id.isEmpty() || id.length() > InputParser.MAX_RUN_ID_LENGTH ? Optional.empty() : Optional.of(id);
    }

    static String stripExtensions(String name) {
        String stem = name;
        boolean stripped = true;
        while (stripped) {
            stripped = false;
            for (String ext : List.of(".gz", ".json", ".jsonl", ".log", ".txt", ".out", ".err")) {
                if (stem.length() > ext.length() && stem.toLowerCase(java.util.Locale.ROOT).endsWith(ext)) {
                    stem = stem.substring(0, stem.length() - ext.length());
                    stripped = true;
                }
            }
        }
        return stem;
    }

    static Path defaultOffsetsFile(Path firstFile) {
        Path absolute = firstFile.toAbsolutePath().normalize();
        Path dir = Files.isDirectory(absolute) ? absolute : absolute.getParent();
        return dir.resolve("." + absolute.getFileName() + ".runwatch-tail.offsets");
    }

    private Properties kafkaProperties() throws IOException {
        Properties props = new Properties();
        if (kafkaConfig != null) {
            try (InputStream in = Files.newInputStream(kafkaConfig)) {
                props.load(in);
            }
        }
        return props;
    }

    /** The parsers of package io.runwatch.ingest. */
    static Tailer.ParserFactory builtInParsers(Map<String, String> kvMap) {
        return (format, runId) -> TrainerLogFormats.create(format, runId, kvMap);
    }

    static Tailer.HfStateReader builtInHfState() {
        return HfTrainerState::records;
    }
}
