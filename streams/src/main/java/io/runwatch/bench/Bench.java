package io.runwatch.bench;

import io.runwatch.config.Settings;
import io.runwatch.contract.InputParser;
import io.runwatch.contract.ParseResult;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.liveness.LivenessMonitor;
import io.runwatch.core.liveness.LivenessState;
import io.runwatch.core.training.TrainingHealthMonitor;
import io.runwatch.core.training.TrainingState;
import io.runwatch.topology.Topics;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * {@code runwatch bench}: what runwatch costs next to the Kafka Streams it is built on, how fast a page arrives
 * under load, what each watched run costs in memory and scrape time, and whether per-record cost grows with a
 * run's length. One JVM, one broker; each section starts from emptied topics and a fresh application.
 */
public final class Bench {
    static final String DRAIN_RUN_PREFIX = "bench-run";
    static final Duration POLL = Duration.ofMillis(50);
    /** A drain that makes no progress for this long has failed; the number would be meaningless. */
    static final Duration STUCK = Duration.ofSeconds(120);
    private static final Pattern ALERT_ACTIVE_RUN = Pattern.compile(
            "^runwatch_alert_active\\{.*run=\"([^\"]+)\".*type=\"nonfinite\".*");

    /** The measurements, each runnable alone. */
    public enum Section { drain, latency, scale, length, scaleout }

    /**
     * What to measure and how much.
     *
     * @param runs                runs pre-loaded for the drain (and the scale-out drain)
     * @param steps               steps per pre-loaded run
     * @param warmups             identity/runwatch pairs run first and not counted: the first drains of a fresh JVM
     *                            run interpreted code and measured 8-15k records/s for an identity app that then
     *                            ran at 110-145k
     * @param repetitions         identity/runwatch pairs, alternated
     * @param partitions          partitions of every topic
     * @param latencyRate         background records/s while probing latency
     * @param latencyRuns         runs the background load is spread over
     * @param probes              NaN probes, one per second: 100 in the full mode, so that the p99 is not simply
     *                            the largest of a few
     * @param maxRuns             live runs the scale section grows to
     * @param batchRuns           runs added per batch
     * @param recordsPerScaleRun  step records of each added run
     * @param scaleBudgetS        no new batch is added once the scale section has run this long (0: no limit), so
     *                            that a monitor that slows down with every run cannot keep the bench going for
     *                            hours; 180 s in the full mode keeps the whole bench near 10 minutes
     * @param runLength           steps of the one long run
     * @param window              steps compared at its start and its end
     * @param scaleOutPartitions  partitions of the scale-out topic: 12 divides evenly over 1, 2, 3, 4 and 6
     *                            consumers
     * @param scaleOutSteps       steps per run of the scale-out drain (over {@code runs} runs)
     * @param scaleOutInstances   instance counts of the scale-out grid
     * @param scaleOutThreads     stream threads per instance of the scale-out grid
     * @param scaleOutRepetitions identity/runwatch pairs per scale-out configuration
     */
    public record Plan(String name, int runs, int steps, int warmups, int repetitions, int partitions,
                       double latencyRate, int latencyRuns, int probes, int maxRuns, int batchRuns,
                       int recordsPerScaleRun, long scaleBudgetS, long runLength, long window,
                       int scaleOutPartitions, int scaleOutSteps, List<Integer> scaleOutInstances,
                       List<Integer> scaleOutThreads, int scaleOutRepetitions, Set<Section> sections) {
        /**
         * The sizes: 1,000 runs x 500 steps, 10,000 records/s, 100,000 live runs, a 1M-step run; the
         * scale-out grid of 1-2 instances x 1, 2, 4 threads over 12 partitions, 1,000 runs x 200 steps each drain.
         */
        public static Plan full() {
            return new Plan("full", 1_000, 500, 1, 3, 1, 10_000, 1_000, 100, 100_000, 10_000, 3, 180, 1_000_000,
                    100_000, 12, 200, List.of(1, 2), List.of(1, 2, 4), 1, EnumSet.allOf(Section.class));
        }

        /** Every section at a size that finishes in about a minute: it shows the command works, not the speed. */
        public static Plan quick() {
            return new Plan("short", 20, 100, 0, 1, 1, 500, 50, 3, 1_000, 500, 3, 0, 10_000, 2_000,
                    12, 50, List.of(1, 2), List.of(1), 1, EnumSet.allOf(Section.class));
        }
    }

    private final BenchKafka kafka;
    private final MonitorLauncher launcher;
    private final Settings settings;
    private final Path workDir;
    private final Plan plan;
    private final int threads;
    private final PrintStream log;
    private final String nonce = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final BenchReport report = new BenchReport();

    private Bench(BenchKafka kafka, MonitorLauncher launcher, Settings settings, Path workDir, Plan plan, int threads,
                  PrintStream log) {
        this.kafka = kafka;
        this.launcher = launcher;
        this.settings = settings;
        this.workDir = workDir;
        this.plan = plan;
        this.threads = threads;
        this.log = log;
    }

    /**
     * Runs the plan's sections and returns the report as markdown.
     *
     * @param brokerLabel how the report names the broker ("embedded" or the bootstrap servers)
     * @param threads     stream threads per application (as configured in the launcher), for the heading
     */
    public static String run(String bootstrap, Properties clientConfig, String brokerLabel, MonitorLauncher launcher,
                             Settings settings, Path workDir, Plan plan, int threads, PrintStream log)
            throws Exception {
        try (BenchKafka kafka = new BenchKafka(bootstrap, clientConfig)) {
            return new Bench(kafka, launcher, settings, workDir, plan, threads, log).runAll(brokerLabel);
        }
    }

    private String runAll(String brokerLabel) throws Exception {
        String loadBefore = loadAverage();
        long started = System.nanoTime();
        List<String> failures = new ArrayList<>();
        Map<Section, Double> seconds = new LinkedHashMap<>();
        section(Section.drain, this::drain, failures, seconds);
        section(Section.latency, this::latency, failures, seconds);
        section(Section.scale, this::scale, failures, seconds);
        section(Section.length, this::runLength, failures, seconds);
        section(Section.scaleout, () -> new ScaleOut(kafka, launcher, workDir, plan, log, report, nonce).run(),
                failures, seconds);
        report.heading(String.format(Locale.ROOT, "runwatch bench (%s mode), %s: %d cores, Java %s, max heap %d MiB; "
                        + "load average (1/5/15 min) %s at the start, %s at the end; broker %s; %d partition(s), "
                        + "%d stream thread(s); %.0f s in all (%s).",
                plan.name(), Instant.now().truncatedTo(ChronoUnit.MINUTES), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), Runtime.getRuntime().maxMemory() >> 20, loadBefore,
                loadAverage(), brokerLabel, plan.partitions(), threads, (System.nanoTime() - started) / 1e9,
                String.join(", ", seconds.entrySet().stream().map(e -> String.format(Locale.ROOT, "%s %.0f s",
                        e.getKey(), e.getValue())).toList())));
        failures.forEach(report::heading);
        return report.markdown();
    }

    /** Runs one section; a failure is reported (and printed under the heading) and the next section still runs. */
    private void section(Section section, ThrowingRunnable body, List<String> failures,
                         Map<Section, Double> seconds) {
        if (!plan.sections().contains(section)) {
            return;
        }
        long start = System.nanoTime();
        try {
            body.run();
        } catch (Exception e) {
            String line = "Section " + section + " failed: " + e;
            failures.add(line);
            log.println("bench: " + line);
            e.printStackTrace(log);
        } finally {
            seconds.put(section, (System.nanoTime() - start) / 1e9);
            log.printf(Locale.ROOT, "bench: %s took %.0f s%n", section, seconds.get(section));
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // drain: identity app vs runwatch vs detectors alone over the same pre-loaded records

    private void drain() throws Exception {
        long total = (long) plan.runs() * plan.steps();
        log.printf("bench: drain: pre-loading %d runs x %d steps = %d records%n", plan.runs(), plan.steps(), total);
        kafka.resetTopics(plan.partitions(), List.of(IdentityApp.OUTPUT_TOPIC));
        List<byte[]> records = drainRecords(plan.runs(), plan.steps());
        kafka.produceRuns(records, plan.runs());
        double meanBytes = (double) records.stream().mapToLong(r -> r.length).sum() / total;

        List<Double> identity = new ArrayList<>();
        List<Double> runwatch = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        List<Double> detectors = new ArrayList<>();
        for (int i = 0; i < plan.warmups(); i++) {
            double id = drainIdentity(-1 - i, total);
            double rw = drainRunwatch(-1 - i, total);
            detectorsAlone(records);
            log.printf(Locale.ROOT, "bench: drain warm-up %d/%d (not counted): identity %.0f records/s, runwatch %.0f "
                    + "records/s%n", i + 1, plan.warmups(), id, rw);
        }
        for (int i = 0; i < plan.repetitions(); i++) {
            double id = drainIdentity(i, total);
            double rw = drainRunwatch(i, total);
            double dt = detectorsAlone(records);
            identity.add(id);
            runwatch.add(rw);
            ratios.add(rw / id);
            detectors.add(dt);
            log.printf(Locale.ROOT, "bench: drain %d/%d: identity %.0f records/s, runwatch %.0f records/s (%.3f), "
                    + "detectors alone %.0f records/s  [load %s]%n", i + 1, plan.repetitions(), id, rw, rw / id, dt,
                    loadAverage());
        }
        BenchReport.Table table = report.table(String.format(Locale.ROOT,
                "Drain of a pre-loaded topic: %d runs x %d steps = %d records of %.0f B on average (groups on every "
                        + "%dth step), %d repetition(s) alternating identity and runwatch, each a fresh application, "
                        + "after %d warm-up pair(s) not counted.",
                plan.runs(), plan.steps(), total, meanBytes, ContractRecords.GROUPS_EVERY_STEPS, plan.repetitions(),
                plan.warmups()),
                List.of("path", "records/s (median)", "min", "max", "ratio to identity (median)", "ratio min",
                        "ratio max"));
        Stats id = Stats.of(identity);
        Stats rw = Stats.of(runwatch);
        Stats ratio = Stats.of(ratios);
        Stats dt = Stats.of(detectors);
        table.row(BenchReport.DRAIN_IDENTITY, id.median(), id.min(), id.max(), 1, 1, 1);
        table.row(BenchReport.DRAIN_RUNWATCH, rw.median(), rw.min(), rw.max(), ratio.median(), ratio.min(),
                ratio.max());
        Stats dtRatio = Stats.of(pairwise(detectors, identity));
        table.row(BenchReport.DRAIN_DETECTORS, dt.median(), dt.min(), dt.max(), dtRatio.median(), dtRatio.min(),
                dtRatio.max());
    }

    private static List<Double> pairwise(List<Double> numerators, List<Double> denominators) {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < numerators.size(); i++) {
            out.add(numerators.get(i) / denominators.get(i));
        }
        return out;
    }

    /**
     * {@code runs} x {@code steps} step records, step by step over all runs (the order a fleet writes them in), for
     * {@link BenchKafka#produceRuns}. The newest step of every run lies an hour or more ahead of the wall clock, so
     * no run falls silent (and pages `stall`) however long the repetitions take: the stall check is not measured.
     */
    static List<byte[]> drainRecords(int runs, int steps) {
        long t0 = System.currentTimeMillis();
        long stepMs = Math.max(1_000, 7_200_000 / Math.max(1, steps));
        List<byte[]> records = new ArrayList<>(runs * steps);
        for (int step = 0; step < steps; step++) {
            for (int r = 0; r < runs; r++) {
                records.add(ContractRecords.metric(ContractRecords.runId(DRAIN_RUN_PREFIX, r), step,
                        t0 + step * stepMs));
            }
        }
        return records;
    }

    private double drainIdentity(int repetition, long total) throws Exception {
        String applicationId = "bench-identity-" + nonce + "-" + (repetition < 0 ? "w" + -repetition : repetition);
        Path stateDir = Files.createDirectories(workDir.resolve(applicationId));
        try (IdentityApp app = new IdentityApp(Topics.METRICS.name(), launcher.streamsProperties(applicationId,
                stateDir))) {
            return timedDrain(applicationId, total, () -> app.awaitRunning(Duration.ofMinutes(2)));
        } finally {
            deleteTree(stateDir);
        }
    }

    private double drainRunwatch(int repetition, long total) throws Exception {
        String applicationId = "bench-runwatch-" + nonce + "-" + (repetition < 0 ? "w" + -repetition : repetition);
        Path stateDir = Files.createDirectories(workDir.resolve(applicationId));
        try (MonitorLauncher.Monitor monitor = launcher.start(applicationId, stateDir)) {
            return timedDrain(applicationId, total, () -> monitor.awaitRunning(Duration.ofMinutes(2)));
        } finally {
            deleteTree(stateDir);
        }
    }

    private interface Await {
        boolean running() throws InterruptedException;
    }

    /** Records/s from the moment the application is RUNNING until its committed offsets reach the end. */
    private double timedDrain(String applicationId, long total, Await await) throws Exception {
        if (!await.running()) {
            throw new IllegalStateException(applicationId + " did not reach RUNNING within 2 minutes");
        }
        long start = System.nanoTime();
        long cpuStart = streamThreadsCpuNanos(applicationId);
        List<BenchKafka.Progress> progress = kafka.awaitCommitted(applicationId, Topics.METRICS.name(), total, POLL,
                STUCK);
        long end = progress.get(progress.size() - 1).nanos();
        // CPU time of the stream threads per record: unlike records/s, barely moved by other load on the machine
        log.printf(Locale.ROOT, "bench: %s: stream threads' CPU %.2f µs/record%n", applicationId,
                (streamThreadsCpuNanos(applicationId) - cpuStart) / 1e3 / total);
        return total / ((end - start) / 1e9);
    }

    /** CPU time so far of the application's stream threads (named after the application id). */
    private static long streamThreadsCpuNanos(String applicationId) {
        var threads = ManagementFactory.getThreadMXBean();
        long nanos = 0;
        for (var info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().startsWith(applicationId)
                    && info.getThreadName().contains("StreamThread")) {
                nanos += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
            }
        }
        return nanos;
    }

    /** The ceiling: the contract parser and the two per-step monitors in a loop, state in hash maps, no Kafka. */
    private double detectorsAlone(List<byte[]> records) {
        InputParser parser = new InputParser(settings.integer(Settings.MAX_RECORD_BYTES));
        TrainingHealthMonitor training = new TrainingHealthMonitor(settings.training());
        LivenessMonitor liveness = new LivenessMonitor(settings.liveness());
        Map<String, TrainingState> trainingStates = new HashMap<>();
        Map<String, LivenessState> livenessStates = new HashMap<>();
        long alerts = 0;
        long start = System.nanoTime();
        long now = System.currentTimeMillis();
        for (byte[] bytes : records) {
            alerts += process(parser, training, liveness, trainingStates, livenessStates, bytes, now);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (alerts > 0) {
            log.printf("bench: note: the detectors raised %d alerts on the benchmark records%n", alerts);
        }
        return records.size() / seconds;
    }

    private static int process(InputParser parser, TrainingHealthMonitor training, LivenessMonitor liveness,
                               Map<String, TrainingState> trainingStates, Map<String, LivenessState> livenessStates,
                               byte[] bytes, long recordTimestampMs) {
        ParseResult result = parser.parse(InputParser.Kind.METRICS, bytes, recordTimestampMs);
        if (!result.isOk()) {
            throw new IllegalStateException("a benchmark record was refused: " + result.rejection());
        }
        MetricPoint point = result.input().metric();
        TrainingState trainingState = trainingStates.computeIfAbsent(point.run(), run -> new TrainingState());
        LivenessState livenessState = livenessStates.computeIfAbsent(point.run(), run -> new LivenessState());
        return training.onMetric(trainingState, point).size() + liveness.onMetric(livenessState, point).size();
    }

    // ---------------------------------------------------------------------------------------------------------
    // latency: NaN probes on fresh runs under a steady background load

    private void latency() throws Exception {
        log.printf(Locale.ROOT, "bench: latency: %.0f records/s over %d runs, %d NaN probes%n", plan.latencyRate(),
                plan.latencyRuns(), plan.probes());
        kafka.resetTopics(plan.partitions(), List.of());
        String applicationId = "bench-latency-" + nonce;
        Path stateDir = Files.createDirectories(workDir.resolve(applicationId));
        int probes = plan.probes();
        long[] sent = new long[probes];
        long[] onTopic = new long[probes];
        long[] onMetrics = new long[probes];
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong backgroundSent = new AtomicLong();
        AtomicLong backgroundNanos = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        Lag lag;
        try (MonitorLauncher.Monitor monitor = launcher.start(applicationId, stateDir)) {
            if (!monitor.awaitRunning(Duration.ofMinutes(2))) {
                throw new IllegalStateException(applicationId + " did not reach RUNNING within 2 minutes");
            }
            lag = probe(monitor, applicationId, probes, sent, onTopic, onMetrics, stop, backgroundSent,
                    backgroundNanos, threads);
        } finally {
            deleteTree(stateDir);
        }
        double achieved = backgroundSent.get() / Math.max(1e-9, backgroundNanos.get() / 1e9);
        BenchReport.Table table = report.table(String.format(Locale.ROOT,
                "Alert latency: a steady %.0f records/s over %d runs (%.0f records/s achieved), one NaN probe per "
                        + "second on a fresh run, %d probes. %s",
                plan.latencyRate(), plan.latencyRuns(), achieved, probes, probes >= 100
                        ? "The p99 is value " + (int) Math.ceil(0.99 * probes) + " of the " + probes + " sorted."
                        : "With fewer than 100 probes the p99 is simply the largest: read it as the maximum."),
                List.of("path", "p50 (ms)", "p99 (ms)", "max (ms)", "probes seen", "probes sent"));
        latencyRow(table, BenchReport.LATENCY_ALERTS, sent, onTopic);
        latencyRow(table, BenchReport.LATENCY_METRICS, sent, onMetrics);

        // Latency or backlog: a monitor that processes less than the load queues every probe behind a growing lag,
        // and the figures above then measure the queue, not the alert path.
        double oneSecond = Math.max(1, achieved);
        boolean keptUp = lag.atEnd() <= oneSecond;
        BenchReport.Table load = report.table(String.format(Locale.ROOT,
                "Background load while probing (%.0f s from the first to the last probe): records sent and processed "
                        + "(runwatch's committed offsets) per second, and its consumer lag (end offsets minus committed "
                        + "offsets of runwatch.metrics). It kept up when the lag at the last probe is at most one "
                        + "second of load (%.0f records).", lag.seconds(), oneSecond),
                List.of("load", "target (records/s)", "sent (records/s)", "processed (records/s)",
                        "lag at first probe (records)", "lag max (records)", "lag at last probe (records)",
                        "kept up (1 yes, 0 no)"));
        load.row(BenchReport.LATENCY_LOAD, plan.latencyRate(), achieved, lag.processedPerSecond(), lag.atStart(),
                lag.max(), lag.atEnd(), keptUp ? 1 : 0);
        load.note(keptUp
                ? "runwatch kept up with the load: the latencies above are the alert path's, not a queue's."
                : String.format(Locale.ROOT, "runwatch did NOT keep up: its lag went from %d to %d records (%.1f s "
                        + "of load), so the latencies above are mostly time queued behind that backlog, not the "
                        + "alert path's latency.", lag.atStart(), lag.atEnd(), lag.atEnd() / oneSecond));
        log.printf(Locale.ROOT, "bench: latency: sent %.0f records/s, processed %.0f records/s, lag %d -> %d (max %d)"
                + "%n", achieved, lag.processedPerSecond(), lag.atStart(), lag.atEnd(), lag.max());
    }

    /** runwatch's consumer lag on runwatch.metrics over the probes. */
    record Lag(long atStart, long max, long atEnd, double processedPerSecond, double seconds) {
    }

    /** Runs the load, the readers and the probes; stops those threads before the monitor they watch is closed. */
    private Lag probe(MonitorLauncher.Monitor monitor, String applicationId, int probes, long[] sent, long[] onTopic,
                      long[] onMetrics, AtomicBoolean stop, AtomicLong backgroundSent,
                      AtomicLong backgroundNanos, List<Thread> threads) throws Exception {
        Map<String, Integer> probeIndex = new ConcurrentHashMap<>();
        for (int i = 0; i < probes; i++) {
            probeIndex.put(ContractRecords.runId("bench-probe", i), i);
        }
        threads.add(daemon("bench-alerts-reader", () -> readAlerts(probeIndex, onTopic, stop)));
        threads.add(daemon("bench-metrics-poller", () -> pollMetrics(monitor.httpPort(), probeIndex, onMetrics, stop)));
        threads.add(daemon("bench-background-load", () -> backgroundLoad(stop, backgroundSent, backgroundNanos)));
        try {
            threads.forEach(Thread::start);
            Thread.sleep(Math.min(5_000, 1_000L * Math.max(1, probes / 5))); // the load settles first
            long startNanos = System.nanoTime();
            long committedAtStart = kafka.committed(applicationId, Topics.METRICS.name());
            long lagAtStart = kafka.endOffset(Topics.METRICS.name()) - committedAtStart;
            AtomicLong maxLag = new AtomicLong(lagAtStart);
            AtomicBoolean probing = new AtomicBoolean(true);
            Thread sampler = daemon("bench-lag-sampler", () -> {
                while (probing.get() && !stop.get()) {
                    long lagNow = kafka.endOffset(Topics.METRICS.name())
                            - kafka.committed(applicationId, Topics.METRICS.name());
                    maxLag.accumulateAndGet(lagNow, Math::max);
                    Thread.sleep(500);
                }
            });
            sampler.start();
            BenchKafka.CheckedSends sends = new BenchKafka.CheckedSends();
            try (KafkaProducer<byte[], byte[]> producer = kafka.producer(0)) {
                long next = System.nanoTime();
                for (int i = 0; i < probes; i++) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                    String run = ContractRecords.runId("bench-probe", i);
                    byte[] value = ContractRecords.nanProbe(run, 1, System.currentTimeMillis());
                    synchronized (sent) {
                        sent[i] = System.nanoTime();
                    }
                    producer.send(new ProducerRecord<>(Topics.METRICS.name(), run.getBytes(StandardCharsets.UTF_8),
                            value), sends.callback());
                    next += 1_000_000_000L;
                }
                producer.flush();
            }
            long endNanos = System.nanoTime();
            long committedAtEnd = kafka.committed(applicationId, Topics.METRICS.name());
            long lagAtEnd = kafka.endOffset(Topics.METRICS.name()) - committedAtEnd;
            probing.set(false);
            sampler.join(10_000);
            sends.check();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline && !allSeen(onTopic, onMetrics)) {
                Thread.sleep(50);
            }
            double seconds = (endNanos - startNanos) / 1e9;
            return new Lag(lagAtStart, Math.max(maxLag.get(), lagAtEnd), lagAtEnd,
                    (committedAtEnd - committedAtStart) / seconds, seconds);
        } finally {
            stop.set(true);
            for (Thread thread : threads) {
                thread.join(10_000);
            }
        }
    }

    private static boolean allSeen(long[] onTopic, long[] onMetrics) {
        synchronized (onTopic) {
            for (long t : onTopic) {
                if (t == 0) {
                    return false;
                }
            }
        }
        synchronized (onMetrics) {
            for (long t : onMetrics) {
                if (t == 0) {
                    return false;
                }
            }
        }
        return true;
    }

    private static void latencyRow(BenchReport.Table table, String label, long[] sent, long[] seen) {
        List<Double> ms = new ArrayList<>();
        synchronized (seen) {
            for (int i = 0; i < sent.length; i++) {
                if (seen[i] != 0 && sent[i] != 0) {
                    ms.add((seen[i] - sent[i]) / 1e6);
                }
            }
        }
        Stats stats = Stats.of(ms);
        table.row(label, stats.p50(), stats.p99(), stats.max(), ms.size(), sent.length);
    }

    private static Thread daemon(String name, ThrowingRunnable body) {
        Thread thread = new Thread(() -> {
            try {
                body.run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                System.err.println("bench: " + name + " failed: " + e);
            }
        }, name);
        thread.setDaemon(true);
        return thread;
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private void readAlerts(Map<String, Integer> probeIndex, long[] onTopic, AtomicBoolean stop) {
        Properties props = kafka.clientConfig();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-alerts-" + nonce);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(List.of(Topics.ALERTS.name()));
            while (!stop.get()) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(20))) {
                    long now = System.nanoTime();
                    Integer index = record.key() == null ? null : probeIndex.get(record.key());
                    if (index != null && record.value().contains("\"type\":\"nonfinite\"")
                            && record.value().contains("\"state\":\"firing\"")) {
                        synchronized (onTopic) {
                            if (onTopic[index] == 0) {
                                onTopic[index] = now;
                            }
                        }
                    }
                }
            }
        }
    }

    /** Scrapes /metrics back to back; a probe counts as seen at the end of the first scrape that shows it. */
    private void pollMetrics(int port, Map<String, Integer> probeIndex, long[] onMetrics, AtomicBoolean stop)
            throws Exception {
        while (!stop.get()) {
            Scrape scrape = scrape(port);
            long now = System.nanoTime();
            for (String line : scrape.body().split("\n")) {
                if (!line.startsWith("runwatch_alert_active{")) {
                    continue;
                }
                Matcher matcher = ALERT_ACTIVE_RUN.matcher(line);
                Integer index = matcher.matches() ? probeIndex.get(matcher.group(1)) : null;
                if (index != null) {
                    synchronized (onMetrics) {
                        if (onMetrics[index] == 0) {
                            onMetrics[index] = now;
                        }
                    }
                }
            }
            Thread.sleep(5);
        }
    }

    /** {@code latencyRate} records/s spread round-robin over {@code latencyRuns} runs, stamped with the wall clock. */
    private void backgroundLoad(AtomicBoolean stop, AtomicLong sentCount, AtomicLong elapsedNanos) throws Exception {
        BenchKafka.CheckedSends sends = new BenchKafka.CheckedSends();
        long[] steps = new long[plan.latencyRuns()];
        byte[][] keys = new byte[plan.latencyRuns()][];
        String[] runs = new String[plan.latencyRuns()];
        for (int r = 0; r < runs.length; r++) {
            runs[r] = ContractRecords.runId("bench-load", r);
            keys[r] = runs[r].getBytes(StandardCharsets.UTF_8);
        }
        try (KafkaProducer<byte[], byte[]> producer = kafka.producer(5)) {
            long start = System.nanoTime();
            long sent = 0;
            int run = 0;
            while (!stop.get()) {
                long due = (long) ((System.nanoTime() - start) / 1e9 * plan.latencyRate());
                while (sent < due) {
                    byte[] value = ContractRecords.metric(runs[run], steps[run]++, System.currentTimeMillis());
                    producer.send(new ProducerRecord<>(Topics.METRICS.name(), keys[run], value), sends.callback());
                    run = (run + 1) % runs.length;
                    sent++;
                }
                sentCount.set(sent);
                elapsedNanos.set(System.nanoTime() - start);
                Thread.sleep(2);
            }
            producer.flush();
        }
        sends.check();
    }

    // ---------------------------------------------------------------------------------------------------------
    // scale: live runs added in batches; memory, state and /metrics per run count

    private void scale() throws Exception {
        log.printf("bench: scale: up to %d live runs in batches of %d%n", plan.maxRuns(), plan.batchRuns());
        kafka.resetTopics(plan.partitions(), List.of());
        String applicationId = "bench-scale-" + nonce;
        Path stateDir = Files.createDirectories(workDir.resolve(applicationId));
        double baselineHeap = heapAfterGcMiB();
        BenchReport.Table table = report.table(String.format(Locale.ROOT,
                "Scale in runs: batches of %d new runs, %d step records each (groups on the first), into one "
                        + "runwatch; after each batch has drained and one tick has passed. Heap is the whole JVM "
                        + "(broker and bench included; %.0f MiB after GC before runwatch started). Drain: the batch's "
                        + "records/s from its first send.",
                plan.batchRuns(), plan.recordsPerScaleRun(), baselineHeap),
                List.of("live runs", "heap after GC (MiB)", "heap over baseline (KiB/run)", "state store (B/run)",
                        "/metrics (MiB)", "series", "scrape (ms)", "tick max (ms)", "batch drain (records/s)"));
        long tickMs = settings.longValue(Settings.TICK_INTERVAL_MS);
        try (MonitorLauncher.Monitor monitor = launcher.start(applicationId, stateDir)) {
            if (!monitor.awaitRunning(Duration.ofMinutes(2))) {
                throw new IllegalStateException(applicationId + " did not reach RUNNING within 2 minutes");
            }
            int live = 0;
            long produced = 0;
            long sectionStart = System.nanoTime();
            try (KafkaProducer<byte[], byte[]> producer = kafka.bulkProducer()) {
                while (live < plan.maxRuns()) {
                    double elapsedS = (System.nanoTime() - sectionStart) / 1e9;
                    if (plan.scaleBudgetS() > 0 && elapsedS > plan.scaleBudgetS()) {
                        table.note("Stopped adding runs at " + live + " after " + Math.round(elapsedS)
                                + " s: over the section's time budget of " + plan.scaleBudgetS() + " s.");
                        log.printf("bench: scale: stopped at %d runs, over the time budget%n", live);
                        break;
                    }
                    int batch = Math.min(plan.batchRuns(), plan.maxRuns() - live);
                    BenchKafka.CheckedSends sends = new BenchKafka.CheckedSends();
                    long start = System.nanoTime();
                    long now = System.currentTimeMillis();
                    for (int step = 0; step < plan.recordsPerScaleRun(); step++) {
                        for (int r = live; r < live + batch; r++) {
                            String run = ContractRecords.runId("bench-scale", r);
                            // steps 10 s apart ending now: ordinary live runs (still within their startup grace)
                            long time = now - (plan.recordsPerScaleRun() - 1 - step) * 10_000L;
                            byte[] value = ContractRecords.metric(run, step, time);
                            producer.send(new ProducerRecord<>(Topics.METRICS.name(),
                                    run.getBytes(StandardCharsets.UTF_8), value), sends.callback());
                        }
                    }
                    producer.flush();
                    sends.check();
                    long records = (long) batch * plan.recordsPerScaleRun();
                    produced += records;
                    List<BenchKafka.Progress> progress = kafka.awaitCommitted(applicationId, Topics.METRICS.name(),
                            produced, POLL, STUCK);
                    double drainRate = records / ((progress.get(progress.size() - 1).nanos() - start) / 1e9);
                    live += batch;
                    awaitTick(applicationId, Duration.ofMillis(3 * tickMs + 10_000));
                    double heap = heapAfterGcMiB();
                    long stateBytes = treeBytes(stateDir);
                    Scrape scrape = scrape(monitor.httpPort());
                    double tickMax = StreamsJmx.threadMax(applicationId, "punctuate-latency-max");
                    table.row(Integer.toString(live), heap, (heap - baselineHeap) * 1024 / live,
                            (double) stateBytes / live, scrape.bytes() / 1048576.0, scrape.series(), scrape.millis(),
                            tickMax, drainRate);
                    log.printf(Locale.ROOT, "bench: scale: %d runs, heap %.0f MiB, %d series, scrape %.0f ms, "
                                    + "tick max %.1f ms, drain %.0f records/s  [load %s]%n", live, heap,
                            scrape.series(), scrape.millis(), tickMax, drainRate, loadAverage());
                }
            }
        } finally {
            deleteTree(stateDir);
        }
    }

    /** Waits until the application's punctuators have run once more (the tick after the batch). */
    private static void awaitTick(String applicationId, Duration timeout) throws InterruptedException {
        double before = StreamsJmx.threadSum(applicationId, "punctuate-total");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (StreamsJmx.threadSum(applicationId, "punctuate-total") > before) {
                return;
            }
            Thread.sleep(50);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // run length: per-record cost at the start and at the end of one long run

    private void runLength() throws Exception {
        long length = plan.runLength();
        long window = Math.min(plan.window(), length / 2);
        log.printf("bench: run length: one run of %d steps, windows of %d%n", length, window);
        kafka.resetTopics(plan.partitions(), List.of());
        String run = "bench-long-" + nonce;
        byte[] key = run.getBytes(StandardCharsets.UTF_8);
        long t0 = System.currentTimeMillis();
        BenchKafka.CheckedSends sends = new BenchKafka.CheckedSends();
        try (KafkaProducer<byte[], byte[]> producer = kafka.bulkProducer()) {
            for (long step = 0; step < length; step++) {
                // one step a second from now on: the run is never silent while the bench runs
                producer.send(new ProducerRecord<>(Topics.METRICS.name(), key,
                        ContractRecords.metric(run, step, t0 + step * 1_000)), sends.callback());
            }
            producer.flush();
        }
        sends.check();

        String applicationId = "bench-length-" + nonce;
        Path stateDir = Files.createDirectories(workDir.resolve(applicationId));
        List<BenchKafka.Progress> progress;
        try (MonitorLauncher.Monitor monitor = launcher.start(applicationId, stateDir)) {
            if (!monitor.awaitRunning(Duration.ofMinutes(2))) {
                throw new IllegalStateException(applicationId + " did not reach RUNNING within 2 minutes");
            }
            progress = kafka.awaitCommitted(applicationId, Topics.METRICS.name(), length, POLL, STUCK);
        } finally {
            deleteTree(stateDir);
        }
        BenchKafka.Progress anchor = progress.stream().filter(p -> p.committed() > 0).findFirst().orElseThrow();
        double firstUs = (nanosAt(progress, anchor.committed() + window) - anchor.nanos()) / 1e3 / window;
        double lastUs = (nanosAt(progress, length) - nanosAt(progress, length - window)) / 1e3 / window;

        double[] detectorUs = detectorsOverOneRun(run, t0, length, window);
        BenchReport.Table table = report.table(String.format(Locale.ROOT,
                "Cost vs run length: one run of %d steps (through one runwatch from a pre-loaded topic; the "
                        + "topology's first window starts at its first commit), windows of %d steps.", length, window),
                List.of("steps", "window (steps)", "runwatch topology (µs/record)", "detectors alone (µs/record)"));
        table.row(BenchReport.LENGTH_FIRST, window, firstUs, detectorUs[0]);
        table.row(BenchReport.LENGTH_LAST, window, lastUs, detectorUs[1]);
        log.printf(Locale.ROOT, "bench: run length: first %.1f µs/record, last %.1f µs/record (topology); "
                + "%.2f / %.2f (detectors)  [load %s]%n", firstUs, lastUs, detectorUs[0], detectorUs[1], loadAverage());
    }

    /** Time at which the committed offset passed {@code offset}, linearly between two observations. */
    static double nanosAt(List<BenchKafka.Progress> progress, long offset) {
        BenchKafka.Progress before = progress.get(0);
        for (BenchKafka.Progress p : progress) {
            if (p.committed() >= offset) {
                if (p.committed() == before.committed()) {
                    return p.nanos();
                }
                double fraction = (double) (offset - before.committed()) / (p.committed() - before.committed());
                return before.nanos() + fraction * (p.nanos() - before.nanos());
            }
            before = p;
        }
        return before.nanos();
    }

    /** Mean µs per record of parse + monitors over the first and the last {@code window} steps of one run. */
    private double[] detectorsOverOneRun(String run, long t0, long length, long window) {
        InputParser parser = new InputParser(settings.integer(Settings.MAX_RECORD_BYTES));
        TrainingHealthMonitor training = new TrainingHealthMonitor(settings.training());
        LivenessMonitor liveness = new LivenessMonitor(settings.liveness());
        Map<String, TrainingState> trainingStates = new HashMap<>();
        Map<String, LivenessState> livenessStates = new HashMap<>();
        long firstNanos = 0;
        long lastNanos = 0;
        long now = System.currentTimeMillis();
        for (long step = 0; step < length; step++) {
            byte[] bytes = ContractRecords.metric(run, step, t0 + step * 1_000);
            long start = System.nanoTime();
            process(parser, training, liveness, trainingStates, livenessStates, bytes, now);
            long took = System.nanoTime() - start;
            if (step < window) {
                firstNanos += took;
            } else if (step >= length - window) {
                lastNanos += took;
            }
        }
        return new double[] {firstNanos / 1e3 / window, lastNanos / 1e3 / window};
    }

    // ---------------------------------------------------------------------------------------------------------
    // helpers

    record Scrape(String body, long bytes, int series, double millis) {
    }

    private Scrape scrape(int port) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(60)).GET().build();
        long start = System.nanoTime();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        double millis = (System.nanoTime() - start) / 1e6;
        String body = response.body();
        int series = 0;
        for (int i = 0, n = body.length(); i < n; ) {
            int end = body.indexOf('\n', i);
            end = end < 0 ? n : end;
            if (end > i && body.charAt(i) != '#') {
                series++;
            }
            i = end + 1;
        }
        return new Scrape(body, body.getBytes(StandardCharsets.UTF_8).length, series, millis);
    }

    static double heapAfterGcMiB() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0;
    }

    static long treeBytes(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(path -> {
                try {
                    return Files.size(path);
                } catch (IOException e) {
                    return 0; // a RocksDB file removed by a compaction while we walk
                }
            }).sum();
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    // best effort: the work directory is temporary
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }

    /** "1.23 / 0.98 / 0.75" from /proc/loadavg, else the JVM's 1-minute figure. */
    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " / " + parts[1] + " / " + parts[2];
        } catch (IOException | RuntimeException e) {
            return String.format(Locale.ROOT, "%.2f",
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }
}
