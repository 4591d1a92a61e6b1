package io.runwatch.app;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runwatch.config.Settings;
import io.runwatch.contract.Json;
import io.runwatch.ingest.ContractRecord;
import io.runwatch.ingest.evals.EvalFileResult;
import io.runwatch.ingest.evals.EvalResultParser;
import io.runwatch.topology.Topics;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code runwatch import-evals}: evaluation-harness result files to {@code runwatch.evals}. Reads a file or a
 * directory tree once, and with {@code --watch} keeps importing each new result file as it appears (the usual
 * layout is one directory per checkpoint). Prints, per file, its format, its step and where the step came from.
 */
@Command(name = "import-evals", mixinStandardHelpOptions = true,
        description = "Import evaluation results (lm-evaluation-harness v0.3/v0.4+, the BigScience fork, CSV or "
                + "JSON lines of step,benchmark,metric,value) into runwatch.evals. The checkpoint step comes from "
                + "a field, the model args (revision=stepN, .../checkpoint-N, NeoX iteration), the file or "
                + "directory name (stepN, step_N, checkpoint-N, global_stepN, epoch_N, a bare number), else --step.")
final class ImportEvalsCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, description = "Run id of every record (the Kafka key).")
    String run;

    @Parameters(arity = "0..*", paramLabel = "PATH", description = "Result files or directories (read recursively).")
    List<Path> paths = new ArrayList<>();

    @Option(names = "--step", description = "Checkpoint step of files that say nothing about theirs.")
    Long step;

    @Option(names = "--print-dir", description = "Write the records to DIR/evals.jsonl instead of producing them.")
    Path printDir;

    @Option(names = "--bootstrap-servers", description = "Kafka to produce to (topic runwatch.evals).")
    String bootstrapServers;

    @Option(names = "--kafka-config", description = "Properties file of extra Kafka client settings (TLS, SASL).")
    Path kafkaConfig;

    @Option(names = "--watch", paramLabel = "DIR", description = "Keep watching DIR and import each new or "
            + "rewritten result file once it has stopped growing (until Ctrl-C).")
    Path watch;

    @Option(names = "--poll-interval-s", defaultValue = "2", description = "How often --watch looks for new "
            + "files (default: ${DEFAULT-VALUE} s); a file is imported once it is unchanged over one interval.")
    double pollIntervalS;

    @Option(names = "--state-file", description = "Where --watch remembers imported files (path, size, mtime) so "
            + "that a restart does not resend them (default: DIR/.runwatch-import-evals.state).")
    Path stateFile;

    /** Whether records carry the harness's own evaluation time (lm-eval ≥ 0.4 {@code date}). */
    enum EvalTime { file, none }

    @Option(names = "--eval-time", defaultValue = "file", description = "file: records carry the evaluation "
            + "time the result file states (lm-eval >= 0.4 `date`); none: leave it out, so the monitor uses the "
            + "send time. Use none to backfill old results into a live monitor, which expires a run's state by "
            + "record time (default: ${DEFAULT-VALUE}).")
    EvalTime evalTime;

    @Option(names = "--strict", description = "Exit 1 when a result file cannot be imported or a score is "
            + "not finite.")
    boolean strict;

    private static final long OLD_EVAL_TIME_MS = 86_400_000L;
    private int oldTimes;

    PrintStream out = System.out;
    PrintStream err = System.err;

    @Override
    public Integer call() throws Exception {
        if (paths.isEmpty() && watch == null) {
            err.println("import-evals: give a PATH to import, or --watch DIR");
            return 2;
        }
        for (Path path : paths) {
            if (!Files.exists(path)) {
                err.println("import-evals: no such file or directory: " + path);
                return 2;
            }
        }
        if (watch != null && !Files.isDirectory(watch)) {
            err.println("import-evals: --watch needs a directory: " + watch);
            return 2;
        }
        if (printDir == null && (bootstrapServers == null || bootstrapServers.isBlank())) {
            err.println("import-evals: give --bootstrap-servers to produce, or --print-dir DIR to write a file");
            return 2;
        }
        EvalResultParser parser = new EvalResultParser(Settings.defaults().integer(Settings.MAX_RECORD_BYTES));
        OptionalLong fallback = step == null ? OptionalLong.empty() : OptionalLong.of(step);
        try (Sink sink = printDir != null ? new FileSink(printDir, watch != null)
                : new KafkaSink(bootstrapServers, kafkaConfig)) {
            Totals totals = new Totals();
            if (!paths.isEmpty()) {
                List<EvalFileResult> results = new ArrayList<>();
                for (Path path : paths) {
                    for (EvalFiles.Candidate candidate : EvalFiles.list(path, ownOutput())) {
                        results.add(EvalFiles.read(parser, run, candidate, fallback));
                    }
                }
                // Checkpoints in step order where the files allow it: they were evaluated in any order.
                results.sort(Comparator.comparingLong((EvalFileResult r) -> r.step().step()));
                results.forEach(this::report);
                List<ContractRecord> records = results.stream().flatMap(r -> r.records().stream())
                        .map(this::withEvalTime).toList();
                sink.send(records);
                results.forEach(totals::add);
                summary(totals, sink);
                if (totals.records == 0 && watch == null) {
                    err.println("import-evals: nothing imported from " + paths + (totals.files + totals.failed == 0
                            ? ": no evaluation result files (.json, .jsonl, .csv, .tsv)" : ""));
                    return 1;
                }
            }
            if (watch != null) {
                EvalWatcher watcher = new EvalWatcher(watch, stateFile != null ? stateFile
                        : watch.resolve(".runwatch-import-evals.state"), parser, run, fallback, ownOutput());
                err.println("import-evals: watching " + watch + " every " + pollIntervalS + " s (Ctrl-C stops)");
                String lastProblem = null;
                while (!Thread.currentThread().isInterrupted()) {
                    List<EvalWatcher.Ready> ready;
                    try {
                        ready = watcher.poll();
                        lastProblem = null;
                    } catch (IOException e) {
                        // A directory that vanishes for a moment (a remount, a rename) is retried, said once.
                        if (!e.toString().equals(lastProblem)) {
                            err.println("import-evals: cannot list " + watch + " (retrying): " + e);
                        }
                        lastProblem = e.toString();
                        ready = List.of();
                    }
                    for (EvalWatcher.Ready file : ready) {
                        report(file.result());
                        sink.send(file.result().records().stream().map(this::withEvalTime).toList());
                        watcher.imported(file);
                        totals.add(file.result());
                    }
                    try {
                        Thread.sleep((long) (pollIntervalS * 1000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                summary(totals, sink);
            }
            return strict && (totals.failed > 0 || totals.nonFinite > 0) ? 1 : 0;
        } catch (SendFailed e) {
            err.println("import-evals: " + e.getMessage());
            return 1;
        } catch (KafkaException e) {
            err.println("import-evals: cannot produce to " + bootstrapServers + ": " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("import-evals: " + e);
            return 1;
        }
    }

    /** The file --print-dir writes, never read back as input (a watched directory may hold it). */
    private Set<Path> ownOutput() {
        return printDir == null ? Set.of() : Set.of(printDir.resolve("evals.jsonl").toAbsolutePath().normalize());
    }

    /** The record as --eval-time wants it; counts times older than a day, which a live monitor expires. */
    private ContractRecord withEvalTime(ContractRecord record) {
        if (!record.json().contains("\"time\"")) {
            return record;
        }
        try {
            ObjectNode tree = (ObjectNode) Json.MAPPER.readTree(record.json());
            if (evalTime == EvalTime.none) {
                tree.remove("time");
                return new ContractRecord(record.kind(), record.run(), record.step(),
                        Json.MAPPER.writeValueAsString(tree));
            }
            if (tree.path("time").isNumber()
                    && System.currentTimeMillis() - tree.get("time").asLong() > OLD_EVAL_TIME_MS) {
                oldTimes++;
            }
            return record;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void report(EvalFileResult result) {
        String what = switch (result.format()) {
            case NOT_RESULTS -> "skipped (not an evaluation result)";
            case UNREADABLE -> "FAILED (unreadable)";
            default -> result.step().found()
                    ? result.records().size() + " records, " + result.step()
                    : "FAILED: " + result.step().detail();
        };
        out.printf("%-60s %-13s %s%n", result.path(), result.format().label(), what);
        for (String note : result.notes()) {
            out.println("    " + note);
        }
    }

    private void summary(Totals totals, Sink sink) {
        if (oldTimes > 0) {
            err.println("import-evals: " + oldTimes + " records carry an evaluation time over a day old; a live "
                    + "monitor drops a run's evaluation state by record time: for a backfill use --eval-time none");
            oldTimes = 0;
        }
        err.printf("import-evals: %d result files, %d records %s; %d skipped (not results), %d failed, "
                        + "%d non-finite scores not sent%n", totals.files, totals.records, sink.describe(),
                totals.skipped, totals.failed, totals.nonFinite);
    }

    /** Counts over every file of this invocation. */
    private static final class Totals {
        int files;
        int records;
        int skipped;
        int failed;
        int nonFinite;

        void add(EvalFileResult result) {
            if (result.imported()) {
                files++;
            } else if (result.failed()) {
                failed++;
            } else {
                skipped++;
            }
            records += result.records().size();
            nonFinite += result.nonFinite();
        }
    }

    /** Where records go: a JSON-lines file or runwatch.evals. */
    interface Sink extends AutoCloseable {
        /** Returns once every record is written or acknowledged; throws {@link SendFailed} otherwise. */
        void send(List<ContractRecord> records) throws IOException;

        String describe();

        @Override
        void close() throws IOException;
    }

    static final class SendFailed extends IOException {
        SendFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * {@code DIR/evals.jsonl}: rewritten by a one-off import; appended to under --watch, whose state file
     * remembers what an earlier watcher already wrote there.
     */
    static final class FileSink implements Sink {
        private final Path file;
        private final BufferedWriter writer;

        FileSink(Path dir, boolean append) throws IOException {
            Files.createDirectories(dir);
            file = dir.resolve("evals.jsonl");
            writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        }

        @Override
        public void send(List<ContractRecord> records) throws IOException {
            for (ContractRecord record : records) {
                writer.write(record.json());
                writer.newLine();
            }
            writer.flush();
        }

        @Override
        public String describe() {
            return "written to " + file;
        }

        @Override
        public void close() throws IOException {
            writer.close();
        }
    }

    /**
     * runwatch.evals through an idempotent producer (acks=all). Records are stamped at send time (the broker
     * refuses timestamps over an hour ahead, and a result file's own time can be skewed or years old: it travels
     * in the record's {@code time} field instead). Every send's callback is checked before a batch counts as sent.
     */
    static final class KafkaSink implements Sink {
        private final KafkaProducer<String, String> producer;
        private final String bootstrapServers;

        KafkaSink(String bootstrapServers, Path kafkaConfig) throws IOException {
            this.bootstrapServers = bootstrapServers;
            Properties props = new Properties();
            props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
            if (kafkaConfig != null) {
                try (InputStream in = Files.newInputStream(kafkaConfig)) {
                    props.load(in);
                }
            }
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
            producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
        }

        @Override
        public void send(List<ContractRecord> records) throws SendFailed {
            AtomicInteger failed = new AtomicInteger();
            AtomicReference<Exception> first = new AtomicReference<>();
            try {
                for (ContractRecord record : records) {
                    producer.send(new ProducerRecord<>(Topics.EVALS.name(), record.run(), record.json()),
                            (metadata, error) -> {
                                if (error != null) {
                                    failed.incrementAndGet();
                                    first.compareAndSet(null, error);
                                }
                            });
                }
                producer.flush();
            } catch (KafkaException e) {
                throw new SendFailed("producing to " + Topics.EVALS.name() + " at " + bootstrapServers
                        + " failed: " + e.getMessage() + " (does the topic exist? `runwatch run` creates it)", e);
            }
            if (failed.get() > 0) {
                throw new SendFailed(failed.get() + " of " + records.size() + " records were not acknowledged by "
                        + bootstrapServers + ": " + first.get(), first.get());
            }
        }

        @Override
        public String describe() {
            return "produced to " + Topics.EVALS.name() + " at " + bootstrapServers;
        }

        @Override
        public void close() {
            producer.close();
        }
    }
}
