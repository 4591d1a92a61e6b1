package io.runwatch.app;

import io.runwatch.ingest.TrainerLogFormats;
import io.runwatch.ingest.follow.OffsetFile;
import io.runwatch.topology.Topics;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The demo's training jobs. Each "trainer" writes its log file under the data directory at a chosen pace, and a
 * {@link Tailer} per run follows it into the embedded broker: the path a user takes with {@code runwatch tail}.
 * <ul>
 *   <li>llm.c GPT-2 124M's raw {@code main.log} (a clean run, {@code --format auto});</li>
 *   <li>nanoGPT issue #215's raw log excerpt, whose fp16 loss turns NaN (a {@code nonfinite} page within seconds);
 *       its timestamps are rewritten to the time of writing, as the trainer would print them running now;</li>
 *   <li>{@value #SYNTHETIC_RUN}: a <em>synthetic</em>, seeded run printed as contract JSON lines ({@code --format
 *       jsonl}, what the Python client writes), with what no bundled real log has on one run: parameter-group
 *       statistics, tokens per second, checkpoints and evaluations, so every panel of the training-run dashboard
 *       has data;</li>
 *   <li>Pythia-410M's per-checkpoint evaluations, produced directly (they are result files, not a log).</li>
 * </ul>
 * A run whose log has been written to its end gets an {@code end} event from its tailer, so an ended replay does
 * not page {@code stall}.
 */
final class DemoReplay {
    static final String LLMC_LOG = "samples/llmc_gpt2_124M_main.log.gz";
    static final String NANOGPT_LOG = "samples/nanogpt_issue215_excerpt.txt";
    static final String PYTHIA = "samples/pythia-v1_410m_0shot.jsonl.gz";
    static final String LLMC_RUN = "llmc-gpt2-124M-10B";
    static final String NAN_RUN = "nanogpt-issue215-gpt2-124M-fp16";
    static final String SYNTHETIC_RUN = "synthetic-dashboard-demo";
    private static final Pattern LLMC_STEP = Pattern.compile("^s:(\\d+) ");
    private static final Pattern LOG_TIMESTAMP = Pattern.compile("^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} ");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss ", Locale.ROOT);

    private final String bootstrapServers;
    private final Properties kafkaConfig;
    private final double stepsPerSecond;
    private final Path logDir;

    DemoReplay(String bootstrapServers, Properties kafkaConfig, double stepsPerSecond, Path logDir) {
        this.bootstrapServers = bootstrapServers;
        this.kafkaConfig = kafkaConfig;
        this.stepsPerSecond = stepsPerSecond;
        this.logDir = logDir;
    }

    /** A line a trainer prints at {@code atMs} after the demo starts. */
    private record Due(long atMs, String text) {
    }

    /** One demo training job: its log, its lines, and the tailer that follows it. */
    private final class Job {
        final String run;
        final Path log;
        final List<Due> lines;
        final boolean rewriteTimestamps;
        final Tailer tailer;
        int written;
        boolean finished;

        Job(String run, String format, List<Due> lines, boolean rewriteTimestamps) throws Exception {
            this.run = run;
            this.log = logDir.resolve(run + ".log");
            this.lines = lines;
            this.rewriteTimestamps = rewriteTimestamps;
            Tailer.Options options = new Tailer.Options(format, (f, r) -> TrainerLogFormats.create(f, r, null),
                    io.runwatch.ingest.HfTrainerState::records, false, 1000, 60_000, System.err);
            this.tailer = new Tailer(List.of(new Tailer.SourceSpec(log, log.getFileName().toString(), run)), options,
                    new KafkaTailSink(bootstrapServers, kafkaConfig),
                    new OffsetFile(logDir.resolve(run + ".offsets")), null, System::currentTimeMillis);
        }

        /** Writes what is due by {@code elapsedMs} (one write: a block-buffered burst), then lets the tailer read. */
        void step(long elapsedMs) throws Exception {
            if (finished) {
                return;
            }
            StringBuilder burst = new StringBuilder();
            while (written < lines.size() && lines.get(written).atMs() <= elapsedMs) {
                String text = lines.get(written++).text();
                if (rewriteTimestamps) {
                    text = LOG_TIMESTAMP.matcher(text).replaceFirst(LocalDateTime.now(ZoneOffset.UTC).format(STAMP));
                }
                burst.append(text).append('\n');
            }
            if (burst.length() > 0) {
                Files.writeString(log, burst, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            }
            if (written == lines.size()) {
                tailer.finish("replay_finished");
                tailer.close();
                finished = true;
                System.err.println("runwatch demo: " + run + " replayed to its end; end event sent");
            } else {
                tailer.pollOnce();
            }
        }
    }

    void run() throws Exception {
        Files.createDirectories(logDir);
        try (Stream<Path> old = Files.list(logDir)) {
            for (Path file : old.toList()) {
                Files.deleteIfExists(file); // every demo starts its trainers afresh
            }
        }
        List<Job> jobs = new ArrayList<>();
        jobs.add(new Job(NAN_RUN, "auto", nanoGptLines(), true));
        jobs.add(new Job(LLMC_RUN, "auto", llmcLines(), false));
        jobs.add(new Job(SYNTHETIC_RUN, "jsonl", syntheticLines(new Random(20261206), 3000, 4_000 / stepsPerSecond),
                false));
        List<Due> evals = pythiaEvals();

        Properties props = new Properties();
        props.putAll(kafkaConfig);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
            long start = System.currentTimeMillis();
            int evalsSent = 0;
            while (jobs.stream().anyMatch(j -> !j.finished) || evalsSent < evals.size()) {
                long elapsed = System.currentTimeMillis() - start;
                for (Job job : jobs) {
                    job.step(elapsed);
                }
                while (evalsSent < evals.size() && evals.get(evalsSent).atMs() <= elapsed) {
                    String line = evals.get(evalsSent++).text();
                    producer.send(new ProducerRecord<>(Topics.EVALS.name(), runOf(line), line));
                }
                Thread.sleep(100);
            }
            producer.flush();
        } finally {
            for (Job job : jobs) {
                if (!job.finished) {
                    job.tailer.close();
                }
            }
        }
        System.err.println("runwatch demo: replay finished; the monitor keeps running until Ctrl-C");
    }

    /** llm.c's main.log at the demo's pace: a step's lines when its step is due. */
    private List<Due> llmcLines() throws IOException {
        List<Due> out = new ArrayList<>();
        for (String line : lines(LLMC_LOG)) {
            Matcher m = LLMC_STEP.matcher(line);
            long step = m.find() ? Long.parseLong(m.group(1)) : 0;
            out.add(new Due((long) (step * 1000 / stepsPerSecond), line));
        }
        return out;
    }

    /** The NaN excerpt early, half a second a line, so the demo's first page shows within seconds. */
    private static List<Due> nanoGptLines() throws IOException {
        List<Due> out = new ArrayList<>();
        for (String line : lines(NANOGPT_LOG)) {
            if (!line.startsWith("#")) { // provenance notes of the excerpt, not trainer output
                out.add(new Due(2_000 + out.size() * 500L, line));
            }
        }
        return out;
    }

    /** One Pythia checkpoint's scores every 2 s, in step order. */
    private static List<Due> pythiaEvals() throws IOException {
        List<String> evals = lines(PYTHIA);
        List<Long> steps = evals.stream().map(DemoReplay::stepOf).distinct().sorted().toList();
        List<Due> out = new ArrayList<>();
        for (String line : evals) {
            out.add(new Due(1_000 + steps.indexOf(stepOf(line)) * 2_000L, line));
        }
        out.sort(Comparator.comparingLong(Due::atMs));
        return out;
    }

    /**
     * A seeded synthetic GPT run in contract JSON lines, at a quarter of the demo pace: a smooth loss curve, gradient
     * norms, warm-up and cosine learning rate, tokens per second, three parameter groups, a checkpoint and three
     * benchmark results (binomial noise, n = 2000) every 250 steps.
     */
    static List<Due> syntheticLines(Random random, int steps, double msPerStep) {
        List<Due> out = new ArrayList<>();
        String run = "\"run\":\"" + SYNTHETIC_RUN + "\"";
        String[][] benchmarks = {{"synthetic_knowledge", "knowledge", "0.25", "0.62"},
                {"synthetic_reasoning", "reasoning", "0.25", "0.48"}, {"synthetic_reading", "reading", "0.5", "0.74"}};
        for (int step = 0; step < steps; step++) {
            long at = (long) (step * msPerStep);
            double loss = 2.9 + 8.1 * Math.exp(-step / 350.0) + 0.02 * random.nextGaussian();
            double gradNorm = 0.35 + 1.5 * Math.exp(-step / 250.0) + 0.04 * Math.abs(random.nextGaussian());
            double lr = step < 100 ? 6e-4 * (step + 1) / 100 : 6e-5 + 0.5 * (6e-4 - 6e-5)
                    * (1 + Math.cos(Math.PI * (step - 100) / (steps - 100)));
            double tokensPerSecond = 1.05e6 * (1 + 0.015 * random.nextGaussian());
            StringBuilder groups = new StringBuilder();
            String[] names = {"embed", "attn", "mlp"};
            for (int g = 0; g < names.length; g++) {
                double groupNorm = gradNorm * (0.2 + 0.3 * g) * (1 + 0.05 * random.nextGaussian());
                double rms = 0.22 + 0.05 * g + 0.01 * random.nextGaussian();
                groups.append(g == 0 ? "" : ",").append(String.format(Locale.ROOT,
                        "\"%s\":{\"grad_norm\":%.5f,\"update_rms_over_lr\":%.4f}", names[g], groupNorm, rms));
            }
            out.add(new Due(at, String.format(Locale.ROOT, "{%s,\"step\":%d,\"loss\":%.5f,\"grad_norm\":%.5f,"
                    + "\"lr\":%.3e,\"tokens_per_s\":%.0f,\"tokens\":%d,\"groups\":{%s}}", run, step, loss, gradNorm,
                    lr, tokensPerSecond, (long) step * 524_288, groups)));
            if (step > 0 && step % 250 == 0) {
                out.add(new Due(at, "{" + run + ",\"type\":\"checkpoint\",\"step\":" + step + "}"));
                for (String[] b : benchmarks) {
                    double chance = Double.parseDouble(b[2]);
                    double p = chance + (Double.parseDouble(b[3]) - chance) * (1 - Math.exp(-step / 1200.0));
                    double stderr = Math.sqrt(p * (1 - p) / 2000);
                    double value = Math.min(1, Math.max(0, p + stderr * random.nextGaussian()));
                    out.add(new Due(at, String.format(Locale.ROOT, "{%s,\"step\":%d,\"benchmark\":\"%s\","
                            + "\"metric\":\"acc\",\"value\":%.4f,\"stderr\":%.4f,\"n\":2000,\"capability\":\"%s\"}",
                            run, step, b[0], value, stderr, b[1])));
                }
            }
        }
        return out;
    }

    static List<String> lines(String resource) throws IOException {
        InputStream raw = DemoReplay.class.getClassLoader().getResourceAsStream(resource);
        if (raw == null) {
            throw new IOException("missing bundled sample " + resource);
        }
        InputStream in = resource.endsWith(".gz") ? new GZIPInputStream(raw) : raw;
        List<String> lines = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank()) {
                    lines.add(line);
                }
            }
        }
        return lines;
    }

    private static long stepOf(String line) {
        int at = line.indexOf("\"step\":");
        int end = at + 7;
        while (end < line.length() && (line.charAt(end) == ' ' || Character.isDigit(line.charAt(end)))) {
            end++;
        }
        return Long.parseLong(line.substring(at + 7, end).trim());
    }

    private static String runOf(String line) {
        int at = line.indexOf("\"run\":");
        int open = line.indexOf('"', at + 6);
        return line.substring(open + 1, line.indexOf('"', open + 1));
    }
}
