package io.runwatch.bench;

import io.runwatch.topology.Topics;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The scale-out section: the drain of one pre-loaded topic of many partitions by 1..N instances of 1..M stream
 * threads each, identity app and runwatch alternately, each instance a JVM of its own ({@link InstanceProcess}).
 *
 * <p>Why separate JVMs: instances of a real deployment are separate processes, each with its own heap, garbage
 * collector, JIT and Kafka clients; two instances in one JVM would share the collector and the JIT and measure a
 * deployment nobody runs. The instance JVMs live for the whole section, so every configuration after the warm-up
 * runs compiled code, as a long-lived deployment does.
 *
 * <p>Why paused: an instance that starts first would take every partition and start draining before the second
 * joins; Kafka Streams' high-availability assignor then leaves the stateful tasks where their state is (warm-up
 * replicas move them only at a probing rebalance, 10 minutes later), so "2 instances" would measure one. Every
 * instance therefore starts paused, the bench waits until the group is stable with the partitions spread over
 * all instances, checks that nothing was committed yet, resumes them all and times from there until the group's
 * committed offsets reach the end; the rate is taken from the first tenth on (past the start-up).
 */
final class ScaleOut {
    private static final Duration CALL = Duration.ofMinutes(2);
    private static final Duration SPREAD = Duration.ofMinutes(2);

    /** One configuration of the grid. */
    record Config(int instances, int threads) {
        String label() {
            return instances + "x" + threads;
        }
    }

    private final BenchKafka kafka;
    private final MonitorLauncher launcher;
    private final Path workDir;
    private final Bench.Plan plan;
    private final PrintStream log;
    private final BenchReport report;
    private final String nonce;
    private final List<InstanceProcess> instances = new ArrayList<>();
    /** How each timed drain spread the partitions, e.g. "6+6", for the table's notes. */
    private final Map<String, String> uneven = new LinkedHashMap<>();

    ScaleOut(BenchKafka kafka, MonitorLauncher launcher, Path workDir, Bench.Plan plan, PrintStream log,
             BenchReport report, String nonce) {
        this.kafka = kafka;
        this.launcher = launcher;
        this.workDir = workDir;
        this.plan = plan;
        this.log = log;
        this.report = report;
        this.nonce = nonce;
    }

    static List<Config> grid(List<Integer> instanceCounts, List<Integer> threadCounts) {
        List<Config> grid = new ArrayList<>();
        for (int i : instanceCounts.stream().sorted().distinct().toList()) {
            for (int t : threadCounts.stream().sorted().distinct().toList()) {
                grid.add(new Config(i, t));
            }
        }
        return grid;
    }

    void run() throws Exception {
        List<Config> grid = grid(plan.scaleOutInstances(), plan.scaleOutThreads());
        int partitions = plan.scaleOutPartitions();
        long total = (long) plan.runs() * plan.scaleOutSteps();
        log.printf("bench: scaleout: %d runs x %d steps = %d records over %d partitions; %s%n", plan.runs(),
                plan.scaleOutSteps(), total, partitions, grid.stream().map(Config::label).toList());
        kafka.resetTopics(partitions, List.of(IdentityApp.OUTPUT_TOPIC));
        kafka.produceRuns(Bench.drainRecords(plan.runs(), plan.scaleOutSteps()), plan.runs());
        int maxInstances = grid.stream().mapToInt(Config::instances).max().orElseThrow();
        try {
            startInstances(maxInstances);
            Config widest = new Config(maxInstances, 1);
            for (int w = 0; w < plan.warmups(); w++) {
                double id = drain(InstanceProcess.IDENTITY, widest, "w" + w, total);
                double rw = drain(InstanceProcess.RUNWATCH, widest, "w" + w, total);
                log.printf(Locale.ROOT, "bench: scaleout warm-up %d/%d at %s (not counted): identity %.0f records/s, "
                        + "runwatch %.0f records/s%n", w + 1, plan.warmups(), widest.label(), id, rw);
            }
            Map<Config, List<Double>> identity = new LinkedHashMap<>();
            Map<Config, List<Double>> runwatch = new LinkedHashMap<>();
            for (int rep = 0; rep < plan.scaleOutRepetitions(); rep++) {
                for (Config config : grid) {
                    double id = drain(InstanceProcess.IDENTITY, config, Integer.toString(rep), total);
                    double rw = drain(InstanceProcess.RUNWATCH, config, Integer.toString(rep), total);
                    identity.computeIfAbsent(config, c -> new ArrayList<>()).add(id);
                    runwatch.computeIfAbsent(config, c -> new ArrayList<>()).add(rw);
                    log.printf(Locale.ROOT, "bench: scaleout %s (%d/%d): identity %.0f records/s, runwatch %.0f "
                                    + "records/s (%.3f)  [load %s]%n", config.label(), rep + 1,
                            plan.scaleOutRepetitions(), id, rw, rw / id, Bench.loadAverage());
                }
            }
            table(grid, partitions, total, identity, runwatch);
        } finally {
            instances.forEach(InstanceProcess::close);
            instances.clear();
        }
    }

    private void table(List<Config> grid, int partitions, long total, Map<Config, List<Double>> identity,
                       Map<Config, List<Double>> runwatch) {
        Config base = grid.get(0);
        BenchReport.Table table = report.table(String.format(Locale.ROOT,
                "Scale-out: a pre-loaded topic of %d partitions, %d runs x %d steps = %d records, drained by 1-%d "
                        + "instances of 1-%d stream threads, identity app and runwatch alternately, %d repetition(s) "
                        + "(medians) after %d warm-up pair(s). Each instance is a JVM of its own (same class path), "
                        + "kept for the whole section; every drain starts paused until the partitions are spread "
                        + "over all instances; records/s from the moment the group's committed offsets pass the "
                        + "first tenth of the records (after the start-up that follows a resume) to the end. "
                        + "Speed-up is over %s; the broker runs in the bench's JVM on the same cores.",
                partitions, plan.runs(), plan.scaleOutSteps(), total,
                grid.stream().mapToInt(Config::instances).max().orElseThrow(),
                grid.stream().mapToInt(Config::threads).max().orElseThrow(), plan.scaleOutRepetitions(),
                plan.warmups(), base.instances() + " instance x " + base.threads() + " thread"),
                List.of("instances", "threads per instance", "partitions", "identity (records/s)",
                        "runwatch (records/s)", "ratio runwatch / identity", "runwatch speed-up",
                        "identity speed-up", "cores"));
        double baseIdentity = Stats.of(identity.get(base)).median();
        double baseRunwatch = Stats.of(runwatch.get(base)).median();
        int cores = Runtime.getRuntime().availableProcessors();
        for (Config config : grid) {
            double id = Stats.of(identity.get(config)).median();
            double rw = Stats.of(runwatch.get(config)).median();
            table.row(Integer.toString(config.instances()), config.threads(), partitions, id, rw, rw / id,
                    rw / baseRunwatch, id / baseIdentity, cores);
        }
        uneven.forEach((drain, split) -> table.note("Partitions per instance of " + drain + ": " + split
                + " (not even)."));
    }

    private void startInstances(int count) throws Exception {
        List<String> command = launcher.instanceCommand(workDir);
        log.printf("bench: scaleout: starting %d instance JVM(s): %s ...%n", count,
                String.join(" ", command.subList(0, Math.min(2, command.size()))));
        for (int i = 0; i < count; i++) {
            instances.add(InstanceProcess.start("instance-" + (i + 1), command,
                    workDir.resolve("instance-" + (i + 1) + ".log")));
        }
        // the first call also waits for the JVM to start: answering "state" with nothing started
        ExecutorService pool = Executors.newFixedThreadPool(count);
        try {
            List<Future<String>> ready = new ArrayList<>();
            for (InstanceProcess instance : instances) {
                ready.add(pool.submit(() -> instance.call(InstanceProcess.STATE, CALL)));
            }
            for (Future<String> f : ready) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Records/s of one drain of the whole topic by {@code config}'s instances of {@code kind}. */
    private double drain(String kind, Config config, String tag, long total) throws Exception {
        String applicationId = "bench-scaleout-" + kind + "-" + config.label() + "-" + tag + "-" + nonce;
        List<InstanceProcess> used = instances.subList(0, config.instances());
        Path stateRoot = Files.createDirectories(workDir.resolve(applicationId));
        long begin = System.nanoTime();
        try {
            for (int i = 0; i < used.size(); i++) {
                used.get(i).call(String.join(" ", InstanceProcess.START, kind, applicationId,
                        Integer.toString(config.threads()), stateRoot.resolve("instance-" + (i + 1)).toString()), CALL);
            }
            String split = awaitSpread(applicationId, used, config);
            double spreadS = (System.nanoTime() - begin) / 1e9;
            long committedBefore = kafka.committed(applicationId, Topics.METRICS.name());
            if (committedBefore != 0) {
                throw new IllegalStateException(applicationId + " committed " + committedBefore
                        + " records while paused: the drain would not start from zero");
            }
            long start = System.nanoTime();
            for (InstanceProcess instance : used) {
                instance.call(InstanceProcess.RESUME, CALL);
            }
            List<BenchKafka.Progress> progress = kafka.awaitCommitted(applicationId, Topics.METRICS.name(), total,
                    Bench.POLL, Bench.STUCK);
            long end = progress.get(progress.size() - 1).nanos();
            double drainS = (end - start) / 1e9;
            // From the first tenth on: what follows a resume (tasks initialised, the first transaction begun, the
            // first fetch) is a fixed cost that more threads cannot shrink, and it would hide the speed-up.
            long tenth = total / 10;
            double rate = (total - tenth) / ((end - Bench.nanosAt(progress, tenth)) / 1e9);
            log.printf(Locale.ROOT, "bench: scaleout %s %s #%s: started and spread (%s) in %.1f s, drained in %.1f s "
                            + "(%.0f records/s from resume, %.0f records/s after the first tenth)%n", kind,
                    config.label(), tag, split, spreadS, drainS, total / drainS, rate);
            if (!isEven(split)) {
                uneven.put(kind + " " + config.label() + " #" + tag, split);
            }
            return rate;
        } finally {
            for (InstanceProcess instance : used) {
                try {
                    instance.call(InstanceProcess.STOP, CALL);
                } catch (RuntimeException e) {
                    log.println("bench: scaleout: " + e.getMessage());
                }
            }
            Bench.deleteTree(stateRoot);
            kafka.deleteTopicsStartingWith(applicationId + "-");
            log.printf(Locale.ROOT, "bench: scaleout %s %s #%s: %.1f s from start to stopped%n", kind,
                    config.label(), tag, (System.nanoTime() - begin) / 1e9);
        }
    }

    /**
     * Waits until every used instance is started (RUNNING, or REBALANCING while paused) and the group is stable with {@code instances x threads}
     * members and every instance owning input partitions; returns the split, e.g. "6+6".
     */
    private String awaitSpread(String applicationId, List<InstanceProcess> used, Config config) throws Exception {
        long deadline = System.nanoTime() + SPREAD.toNanos();
        Map<String, Integer> last = Map.of();
        List<String> states = List.of();
        while (System.nanoTime() < deadline) {
            states = new ArrayList<>();
            for (InstanceProcess instance : used) {
                states.add(instance.call(InstanceProcess.STATE, CALL));
            }
            last = kafka.partitionsPerInstance(applicationId, Topics.METRICS.name(),
                    config.instances() * config.threads());
            // A paused stateful task is not restored, so runwatch stays REBALANCING (never RUNNING) until resumed;
            // the group's own view says when the assignment is done.
            boolean running = states.stream().allMatch(s -> s.equals("RUNNING") || s.equals("REBALANCING"));
            int owned = last.values().stream().mapToInt(Integer::intValue).sum();
            boolean spread = last.size() == config.instances() && last.values().stream().allMatch(n -> n > 0)
                    && owned == plan.scaleOutPartitions();
            if (running && spread) {
                return String.join("+", last.values().stream().map(String::valueOf).toList());
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(applicationId + ": partitions not spread over " + config.instances()
                + " instance(s) within " + SPREAD.toSeconds() + " s (states " + states + ", partitions per instance "
                + last + ")");
    }

    /** "6+6" or "5+6+5": no instance owns more than one partition more than another. */
    static boolean isEven(String split) {
        List<Integer> parts = java.util.Arrays.stream(split.split("\\+")).map(Integer::parseInt).toList();
        return parts.stream().mapToInt(Integer::intValue).max().orElse(0)
                - parts.stream().mapToInt(Integer::intValue).min().orElse(0) <= 1;
    }
}
