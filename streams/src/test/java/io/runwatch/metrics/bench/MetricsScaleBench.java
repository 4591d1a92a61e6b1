package io.runwatch.metrics.bench;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.runwatch.core.GroupStats;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.liveness.LivenessGauges;
import io.runwatch.health.HealthReport;
import io.runwatch.metrics.MetricsServer;
import io.runwatch.metrics.RunwatchMetrics;
import io.runwatch.metrics.WebConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The cost of per-run series in one JVM, no Kafka: N runs' meters created through {@link RunwatchMetrics} the way
 * the training processor does (three step records per run, parameter groups on the first, loss-spike and skipped-step
 * counts, one tick's liveness gauges; one run in a hundred with an open alert), then {@code /metrics} rendered as
 * {@code MetricsServer} renders it (a {@code RunwatchRegistry}, as {@code run} uses). Prints, per run count: heap
 * after GC over the empty baseline, the metric work per
 * record (new runs and known runs), one tick's liveness pass, scrape time and size (and GETs of /metrics from a
 * MetricsServer on 127.0.0.1), series, and removal per run.
 * Times are the CPU time of the measuring thread (GC threads not included), so that other work on the machine
 * does not inflate them; the scrape's wall time is printed too.
 * <pre>
 * java -Xmx4g -cp streams/target/classes:streams/target/test-classes:$(cat cp.txt) \
 *     io.runwatch.metrics.bench.MetricsScaleBench 10000 30000 100000
 * </pre>
 * Each size runs in a fresh registry; {@code --scrapes K} (3) renders K times and reports the median and the
 * fastest, {@code --remove K} (1000) times {@code removeRun} over K runs, {@code --calls three} hands a record over
 * as the processor did before {@code trainingRecord} (to measure an older build).
 */
public final class MetricsScaleBench {
    private static final String[] GROUPS = {"embed", "attn", "mlp"};

    private MetricsScaleBench() {
    }

    public static void main(String[] args) throws IOException {
        List<Integer> sizes = new ArrayList<>();
        int scrapes = 3;
        int removals = 1000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--scrapes" -> scrapes = Integer.parseInt(args[++i]);
                case "--remove" -> removals = Integer.parseInt(args[++i]);
                case "--calls" -> threeCalls = args[++i].equals("three");
                default -> sizes.add(Integer.parseInt(args[i].replace("_", "")));
            }
        }
        if (sizes.isEmpty()) {
            sizes = List.of(10_000, 30_000, 100_000);
        }
        System.out.printf(Locale.ROOT, "metrics scale bench: %d cores, Java %s, max heap %d MiB, load average %.2f%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() >> 20,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        // JIT warm-up, not printed: the first size would otherwise pay for compilation.
        measure(2_000, 1, 100, false);
        System.out.println("| runs | heap over baseline (MiB) | heap (KiB/run) | new run (ns/record) "
                + "| known run (ns/record) | tick (ns/run) | /metrics (MiB) | series | scrape median (ms CPU) "
                + "| scrape min (ms CPU) | scrape median (ms wall) | HTTP scrape median (ms wall) | HTTP scrape min (ms wall) "
                + "| removeRun (µs/run) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (int runs : sizes) {
            measure(runs, scrapes, Math.min(removals, runs), true);
        }
    }

    private static void measure(int runs, int scrapes, int removals, boolean print) throws IOException {
        long baseline = heapAfterGc();
        PrometheusMeterRegistry registry = newRegistry();
        RunwatchMetrics metrics = new RunwatchMetrics(registry, 30_000);
        String[] ids = new String[runs];
        for (int r = 0; r < runs; r++) {
            ids[r] = String.format(Locale.ROOT, "bench-%06d", r);
        }
        long now = 1_800_000_000_000L;
        long start = cpuNanos();
        for (int step = 0; step < 3; step++) {
            for (int r = 0; r < runs; r++) {
                record(metrics, ids[r], step, now);
            }
        }
        double newRunNs = (cpuNanos() - start) / (3.0 * runs);
        start = cpuNanos();
        for (int r = 0; r < runs; r++) {
            metrics.liveness(ids[r], new LivenessGauges(0.97, 0, 300, 4, Double.NaN, 0));
        }
        double tickNs = (cpuNanos() - start) / (double) runs;
        for (int r = 0; r < runs; r += 100) {
            metrics.alertActive(ids[r], "loss_spike", "ticket", 1, now);
            metrics.alertRollback(ids[r], "loss_spike", 1L, now);
        }
        long heap = heapAfterGc() - baseline;
        // Known runs, the steady state: the records are built first, so only the metric work is timed.
        MetricPoint[] points = new MetricPoint[runs];
        for (int r = 0; r < runs; r++) {
            points[r] = point(ids[r], 4, now);
        }
        start = cpuNanos();
        for (int r = 0; r < runs; r++) {
            hand(metrics, points[r]);
        }
        double knownRunNs = (cpuNanos() - start) / (double) runs;
        points = null;

        long[] times = new long[scrapes];
        long[] wall = new long[scrapes];
        ByteCount out = new ByteCount();
        for (int i = 0; i < scrapes; i++) {
            out.bytes = 0;
            long t0 = cpuNanos();
            long w0 = System.nanoTime();
            // as MetricsServer serves /metrics: streamed into the response, which here only counts the bytes
            registry.scrape(out);
            times[i] = cpuNanos() - t0;
            wall[i] = System.nanoTime() - w0;
        }
        // series counted on one more scrape, not timed: looking at every byte costs as much as writing it
        CountingStream lines = new CountingStream();
        registry.scrape(lines);
        long series = lines.samples;
        double[] http = httpScrapes(registry, scrapes);
        Arrays.sort(times);
        Arrays.sort(wall);

        start = cpuNanos();
        int step = Math.max(1, runs / removals);
        int removed = 0;
        for (int r = 0; r < runs && removed < removals; r += step, removed++) {
            metrics.removeRun(ids[r]);
        }
        double removeUs = (cpuNanos() - start) / 1000.0 / Math.max(1, removed);

        if (print) {
            System.out.printf(Locale.ROOT, "| %d | %.0f | %.2f | %.0f | %.0f | %.0f | %.1f | %d | %.0f | %.0f | %.0f "
                            + "| %.0f | %.0f | %.1f |%n", runs, heap / 1048576.0, heap / 1024.0 / runs, newRunNs,
                    knownRunNs, tickNs, out.bytes / 1048576.0, series, times[times.length / 2] / 1e6, times[0] / 1e6,
                    wall[wall.length / 2] / 1e6, http[0], http[1], removeUs);
        }
        registry.close();
    }

    /**
     * Median and fastest wall time of {@code count} GETs of /metrics from a {@link MetricsServer} on 127.0.0.1, as
     * a Prometheus server sees them: from the request to the last byte, the body read and dropped by the client
     * (which shares the machine's cores with the server).
     */
    private static double[] httpScrapes(PrometheusMeterRegistry registry, int count) throws IOException {
        try (MetricsServer server = new MetricsServer("127.0.0.1", 0, registry,
                () -> new HealthReport(0, List.of(), List.of()), WebConfig.none())) {
            HttpClient client = HttpClient.newHttpClient();
            HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                    .timeout(Duration.ofMinutes(5)).build();
            long[] wall = new long[count];
            for (int i = 0; i < count; i++) {
                long start = System.nanoTime();
                HttpResponse<Void> response = client.send(get, HttpResponse.BodyHandlers.discarding());
                wall[i] = System.nanoTime() - start;
                if (response.statusCode() != 200) {
                    throw new IOException("/metrics answered " + response.statusCode());
                }
            }
            Arrays.sort(wall);
            return new double[] {wall[count / 2] / 1e6, wall[0] / 1e6};
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private static void record(RunwatchMetrics metrics, String run, long step, long now) {
        hand(metrics, point(run, step, now));
    }

    /** One step record of an ordinary run: loss, gradient norm, LR, throughput; three groups on every tenth step. */
    private static MetricPoint point(String run, long step, long now) {
        MetricPoint point = MetricPoint.ofLoss(run, step, now + step * 3_400, 2.5 - step * 1e-3)
                .withGradNorm(0.8).withLr(6e-4).withThroughput(154_000.0, 3.4);
        if (step % 10 == 0) {
            point = point.withGroups(Map.of(GROUPS[0], new GroupStats(0.2, 0.21, 40.0),
                    GROUPS[1], new GroupStats(0.3, 0.19, 50.0), GROUPS[2], new GroupStats(0.4, 0.2, 60.0)));
        }
        return point;
    }

    /**
     * What the training processor hands the metrics for a step record: one trainingRecord call, or with
     * {@code --calls three} trainingStep, lossSpikes and skippedSteps, as it did before trainingRecord existed (so
     * that this class, compiled once, also measures the older RunwatchMetrics).
     */
    private static void hand(RunwatchMetrics metrics, MetricPoint point) {
        if (threeCalls) {
            metrics.trainingStep(point);
            metrics.lossSpikes(point.run(), 0, 0.0);
            metrics.skippedSteps(point.run(), 0, 0.0);
        } else {
            metrics.trainingRecord(point, true, 0, 0.0, 0, 0.0);
        }
    }

    private static boolean threeCalls;

    /**
     * CPU time of this thread: on a machine shared with other work the wall clock measures the queue for a core,
     * not the work (the scrape's wall time is printed too).
     */
    private static long cpuNanos() {
        return THREADS.getCurrentThreadCpuTime();
    }

    private static final java.lang.management.ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** The registry runwatch serves /metrics from; a plain one when measuring a build that has none of its own. */
    private static PrometheusMeterRegistry newRegistry() {
        try {
            return (PrometheusMeterRegistry) Class.forName("io.runwatch.metrics.RunwatchRegistry")
                    .getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        }
    }

    private static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    /** Counts the bytes written and nothing else. */
    private static final class ByteCount extends OutputStream {
        long bytes;

        @Override
        public void write(int b) {
            bytes++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            bytes += len;
        }
    }

    /** Counts bytes and sample lines (lines not starting with '#') without keeping the text. */
    private static final class CountingStream extends OutputStream {
        long bytes;
        long samples;
        private boolean lineStart = true;

        @Override
        public void write(int b) {
            bytes++;
            if (lineStart && b != '#' && b != '\n') {
                samples++;
            }
            lineStart = b == '\n';
        }

        @Override
        public void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }
    }
}
