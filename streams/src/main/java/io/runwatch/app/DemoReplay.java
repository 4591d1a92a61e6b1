package io.runwatch.app;

import io.runwatch.topology.Topics;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.zip.GZIPInputStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Replays the bundled real samples (see {@code samples/NOTICE.md} in the jar) into the input topics at a
 * chosen speed, stamped with the current time, so a newcomer sees gauges and alerts within a minute:
 * llm.c GPT-2 124M's training log (with a start event and a checkpoint every 1000 steps, which the demo adds),
 * nanoGPT issue #215's fp16 run that turns NaN, and Pythia-410M's per-checkpoint evaluations.
 */
final class DemoReplay {
    static final String LLMC = "samples/llmc_gpt2_124M_main.jsonl.gz";
    static final String NANOGPT_NAN = "samples/nanogpt_issue215_fp16_nan.jsonl";
    static final String PYTHIA = "samples/pythia-v1_410m_0shot.jsonl.gz";
    private static final String LLMC_RUN = "llmc-gpt2-124M-10B";

    private final String bootstrapServers;
    private final Properties kafkaConfig;
    private final double stepsPerSecond;

    DemoReplay(String bootstrapServers, Properties kafkaConfig, double stepsPerSecond) {
        this.bootstrapServers = bootstrapServers;
        this.kafkaConfig = kafkaConfig;
        this.stepsPerSecond = stepsPerSecond;
    }

    private record Due(long atMs, String topic, String key, String value) {
    }

    void run() throws IOException, InterruptedException {
        List<Due> schedule = new ArrayList<>();
        schedule.add(new Due(0, Topics.EVENTS.name(), LLMC_RUN,
                "{\"run\":\"" + LLMC_RUN + "\",\"type\":\"start\",\"step\":0,\"config\":{\"num_params\":124e6}}"));
        List<String> llmc = lines(LLMC);
        for (String line : llmc) {
            long step = stepOf(line);
            long at = (long) (step * 1000 / stepsPerSecond);
            schedule.add(new Due(at, Topics.METRICS.name(), LLMC_RUN, line));
            if (step > 0 && step % 1000 == 0) {
                schedule.add(new Due(at + 1, Topics.EVENTS.name(), LLMC_RUN,
                        "{\"run\":\"" + LLMC_RUN + "\",\"type\":\"checkpoint\",\"step\":" + step + "}"));
            }
        }
        long llmcEnd = schedule.stream().mapToLong(Due::atMs).max().orElse(0);
        schedule.add(new Due(llmcEnd + 1, Topics.EVENTS.name(), LLMC_RUN,
                "{\"run\":\"" + LLMC_RUN + "\",\"type\":\"end\",\"step\":" + (llmc.size() - 1)
                        + ",\"status\":\"completed\"}"));
        // The NaN run early, so the demo's first page shows up within seconds.
        List<String> nan = lines(NANOGPT_NAN);
        for (int i = 0; i < nan.size(); i++) {
            schedule.add(new Due(2_000 + i * 500L, Topics.METRICS.name(), runOf(nan.get(i)), nan.get(i)));
        }
        // One Pythia checkpoint's scores every 2 s, in step order.
        List<String> evals = lines(PYTHIA);
        List<Long> steps = evals.stream().map(DemoReplay::stepOf).distinct().sorted().toList();
        for (String line : evals) {
            schedule.add(new Due(1_000 + steps.indexOf(stepOf(line)) * 2_000L, Topics.EVALS.name(), runOf(line),
                    line));
        }
        schedule.sort(Comparator.comparingLong(Due::atMs));

        Properties props = new Properties();
        props.putAll(kafkaConfig);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
            long start = System.currentTimeMillis();
            for (Due due : schedule) {
                long wait = start + due.atMs() - System.currentTimeMillis();
                if (wait > 0) {
                    Thread.sleep(wait);
                }
                producer.send(new ProducerRecord<>(due.topic(), due.key(), due.value()));
            }
            producer.flush();
        }
        System.err.println("runwatch demo: replay finished (" + schedule.size() + " records); the monitor keeps "
                + "running until Ctrl-C");
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
