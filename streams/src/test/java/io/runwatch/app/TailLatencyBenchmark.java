package io.runwatch.app;

import io.runwatch.config.Settings;
import io.runwatch.ingest.HfTrainerState;
import io.runwatch.ingest.TrainerLogFormats;
import io.runwatch.ingest.follow.OffsetFile;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long a line takes from the trainer's log to runwatch's {@code /metrics}: a test writes llm.c-style lines to a
 * growing log at a steady rate (default 100 lines/s, each its own write and flush), {@code runwatch tail}'s engine
 * follows it into a real in-process broker (polling every 100 ms, the command's default), the monitor processes it,
 * and a scraper reads {@code runwatch_run_step} every 20 ms. Prints p50/p99/max of write-to-visible delay. A
 * measurement, not a test: the numbers depend on the machine's load.
 * <pre>
 * mvn -B -q -Pevaluate -pl streams test-compile exec:java -Devaluate.main=io.runwatch.app.TailLatencyBenchmark \
 *     -Dexec.args="--seconds 30 --rate 100"
 * </pre>
 */
public final class TailLatencyBenchmark {
    private static final String RUN = "bench-tail-latency";
    private static final Pattern STEP = Pattern.compile("runwatch_run_step\\{run=\"" + RUN + "\"} ([0-9.E]+)");

    private TailLatencyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = 30;
        int rate = 100;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
                case "--rate" -> rate = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown flag " + args[i]);
            }
        }
        Path dir = Files.createTempDirectory("runwatch-tail-bench");
        int lines = seconds * rate;
        long[] writtenAt = new long[lines];
        long[] seenAt = new long[lines];
        long[] committedAt = new long[lines];
        try (MonitorUnderTest monitor = MonitorUnderTest.start(dir.resolve("monitor"), Settings.defaults())) {
            Path log = dir.resolve("main.log");
            Files.createFile(log);
            Tailer.Options options = new Tailer.Options("llmc", (f, r) -> TrainerLogFormats.create(f, r, null),
                    HfTrainerState::records, false, 1000, 60_000, new PrintStream(OutputStream.nullOutputStream()));
            AtomicBoolean stop = new AtomicBoolean();
            List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
            Thread tail = new Thread(() -> {
                try (Tailer tailer = new Tailer(List.of(new Tailer.SourceSpec(log, "main.log", RUN)), options,
                        new KafkaTailSink(monitor.bootstrapServers(), new java.util.Properties()),
                        new OffsetFile(dir.resolve("tail.offsets")), null, System::currentTimeMillis)) {
                    while (!stop.get()) {
                        if (!tailer.pollOnce()) {
                            Thread.sleep(100);
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "bench-tailer");
            tail.start();
            Thread scraper = new Thread(() -> {
                int next = 0;
                while (!stop.get()) {
                    try {
                        Matcher m = STEP.matcher(monitor.get("/metrics"));
                        long now = System.nanoTime();
                        if (m.find()) {
                            long step = (long) Double.parseDouble(m.group(1));
                            for (; next <= step && next < lines; next++) {
                                seenAt[next] = now;
                            }
                        }
                        Thread.sleep(20);
                    } catch (Exception e) {
                        failures.add(e);
                        return;
                    }
                }
            }, "bench-scraper");
            scraper.start();
            Thread consumer = new Thread(() -> {
                java.util.Properties props = new java.util.Properties();
                props.put("bootstrap.servers", monitor.bootstrapServers());
                props.put("isolation.level", "read_committed");
                props.put("group.id", "bench-" + System.nanoTime());
                props.put("auto.offset.reset", "earliest");
                try (var kafka = new org.apache.kafka.clients.consumer.KafkaConsumer<String, String>(props,
                        new org.apache.kafka.common.serialization.StringDeserializer(),
                        new org.apache.kafka.common.serialization.StringDeserializer())) {
                    kafka.subscribe(List.of("runwatch.metrics"));
                    Pattern stepField = Pattern.compile("\"step\":(\\d+)");
                    while (!stop.get()) {
                        for (var record : kafka.poll(java.time.Duration.ofMillis(20))) {
                            Matcher m = stepField.matcher(record.value());
                            if (RUN.equals(record.key()) && m.find()) {
                                int step = Integer.parseInt(m.group(1));
                                if (step < lines && committedAt[step] == 0) {
                                    committedAt[step] = System.nanoTime();
                                }
                            }
                        }
                    }
                } catch (Exception e) {
                    failures.add(e);
                }
            }, "bench-consumer");
            consumer.start();
            Thread.sleep(3_000); // the tailer's producer and the monitor settle
            long periodNs = 1_000_000_000L / rate;
            long start = System.nanoTime();
            try (OutputStream out = Files.newOutputStream(log, StandardOpenOption.APPEND)) {
                for (int step = 0; step < lines; step++) {
                    long due = start + step * periodNs;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                    out.write(String.format(Locale.ROOT, "s:%d trl:%.4f lr:0.000600 norm:%.2f%n", step,
                            4.0 - step * 1e-5, 1.0 + (step % 7) * 0.01).getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    writtenAt[step] = System.nanoTime();
                }
            }
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (seenAt[lines - 2] == 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            stop.set(true);
            tail.join();
            scraper.join();
            consumer.join();
            if (!failures.isEmpty()) {
                throw new IllegalStateException("benchmark failed", failures.get(0));
            }
        }
        // The last line is a record only once a later line or the idle flush completes it: leave it out.
        List<Double> delays = new ArrayList<>();
        List<Double> toKafka = new ArrayList<>();
        int missing = 0;
        for (int i = 0; i < lines - 1; i++) {
            if (seenAt[i] == 0) {
                missing++;
            } else {
                delays.add((seenAt[i] - writtenAt[i]) / 1e9);
            }
            if (committedAt[i] != 0) {
                toKafka.add((committedAt[i] - writtenAt[i]) / 1e9);
            }
        }
        Collections.sort(delays);
        Collections.sort(toKafka);
        System.out.printf(Locale.ROOT, "tail part: write -> committed on runwatch.metrics (read_committed): p50 %.3f s, "
                + "p99 %.3f s, max %.3f s (%d lines)%n", quantile(toKafka, 0.5), quantile(toKafka, 0.99),
                toKafka.isEmpty() ? Double.NaN : toKafka.get(toKafka.size() - 1), toKafka.size());
        System.out.printf(Locale.ROOT, "tail latency: %d lines at %d lines/s, write -> runwatch_run_step on /metrics "
                        + "(scraped every 20 ms): p50 %.3f s, p99 %.3f s, max %.3f s; %d never seen; target 2 s%n",
                lines - 1, rate, quantile(delays, 0.5), quantile(delays, 0.99),
                delays.isEmpty() ? Double.NaN : delays.get(delays.size() - 1), missing);
        System.exit(0);
    }

    private static double quantile(List<Double> sorted, double q) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }
}
