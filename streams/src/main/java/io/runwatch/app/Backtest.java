package io.runwatch.app;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.runwatch.config.Settings;
import io.runwatch.contract.Json;
import io.runwatch.core.Alert;
import io.runwatch.metrics.RunwatchMetrics;
import io.runwatch.topology.DeadLetter;
import io.runwatch.topology.ErrorHandlers;
import io.runwatch.topology.RunwatchTopology;
import io.runwatch.topology.Topics;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * Replays recorded JSON-lines files through the production topology ({@link RunwatchTopology#build}) in a
 * {@link TopologyTestDriver}, on record time, and collects every alert. Lines are merged across files in time
 * order: a line's own {@code time} field, else the time of the line before it in its file (file order). An
 * evaluation file without any time is replayed checkpoint by checkpoint (by step), as results arrive live.
 */
public final class Backtest {
    private final Settings settings;

    public Backtest(Settings settings) {
        this.settings = settings;
    }

    /** One input line with the topic it belongs to and the timestamp it is replayed at. */
    public record Line(String topic, long timeMs, int fileIndex, long lineIndex, byte[] bytes) {
    }

    /** What a replay produced. */
    public record Result(List<Alert> alerts, List<DeadLetter> deadLetters, long records, long elapsedMs) {
    }

    public static List<Line> readFiles(String topic, List<Path> files, int fileIndexOffset) {
        List<Line> lines = new ArrayList<>();
        for (int f = 0; f < files.size(); f++) {
            long previousTime = 0;
            long index = 0;
            int fileStart = lines.size();
            boolean timed = false;
            try (BufferedReader reader = Files.newBufferedReader(files.get(f), StandardCharsets.UTF_8)) {
                for (String text = reader.readLine(); text != null; text = reader.readLine()) {
                    if (text.isBlank()) {
                        continue;
                    }
                    long time = timeOf(text, previousTime);
                    timed |= time != previousTime;
                    previousTime = time;
                    lines.add(new Line(topic, time, fileIndexOffset + f, index++, text.getBytes(StandardCharsets.UTF_8)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + files.get(f), e);
            }
            if (!timed && topic.equals(Topics.EVALS.name())) {
                // Evaluation tables list one benchmark's whole trajectory after another; live, a checkpoint's
                // results arrive together, which is what tells whether benchmarks fell together.
                sortByStep(lines.subList(fileStart, lines.size()));
            }
        }
        return lines;
    }

    /** Stable sort by each line's step, parsed once per line. */
    private static void sortByStep(List<Line> fileLines) {
        record Stepped(long step, Line line) {
        }
        List<Stepped> stepped = new ArrayList<>(fileLines.size());
        fileLines.forEach(line -> stepped.add(new Stepped(stepOf(line), line)));
        stepped.sort(Comparator.comparingLong(Stepped::step));
        for (int i = 0; i < stepped.size(); i++) {
            fileLines.set(i, stepped.get(i).line());
        }
    }

    /** The line's {@code step}, or Long.MAX_VALUE when it has none (it is dead-lettered after the rest). */
    private static long stepOf(Line line) {
        try {
            var node = Json.MAPPER.readTree(line.bytes()).get("step");
            return node != null && node.canConvertToLong() ? node.asLong() : Long.MAX_VALUE;
        } catch (IOException | RuntimeException e) {
            return Long.MAX_VALUE;
        }
    }

    /** The line's {@code time} (epoch ms or ISO-8601) when it has a readable one, else {@code fallback}. */
    private static long timeOf(String line, long fallback) {
        int at = line.indexOf("\"time\"");
        if (at < 0) {
            return fallback;
        }
        try {
            var node = Json.MAPPER.readTree(line).get("time");
            if (node == null || node.isNull()) {
                return fallback;
            }
            if (node.isNumber()) {
                return Math.max(0, node.asLong());
            }
            return Instant.parse(node.asText()).toEpochMilli();
        } catch (IOException | RuntimeException e) {
            return fallback; // the topology will dead-letter it with the precise reason
        }
    }

    public Result run(List<Line> lines) {
        return run(lines, alert -> { });
    }

    /** Replays {@code lines} (any order: sorted here, stable) and streams alerts to {@code onAlert} as well. */
    public Result run(List<Line> lines, Consumer<Alert> onAlert) {
        List<Line> ordered = new ArrayList<>(lines);
        ordered.sort(Comparator.comparingLong(Line::timeMs));
        return replayInOrder(ordered, onAlert);
    }

    /** Replays {@code ordered} exactly in the order given (late and reordered records stay where they are). */
    public Result replayInOrder(List<Line> ordered, Consumer<Alert> onAlert) {
        long started = System.nanoTime();
        StreamsBuilder builder = new StreamsBuilder();
        RunwatchMetrics metrics = new RunwatchMetrics(new SimpleMeterRegistry());
        RunwatchTopology.build(builder, settings, metrics, RunwatchTopology.Mode.REPLAY);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "runwatch-backtest");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "backtest:9092");
        ErrorHandlers.install(props, settings, metrics);
        props.put("processing.exception.handler.global.enabled", "true"); // the Kafka 5.0 default
        List<Alert> alerts = new ArrayList<>();
        List<DeadLetter> deadLetters = new ArrayList<>();
        Path stateDir = tempDir();
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(props), props)) {
            TestInputTopic<byte[], byte[]> metricsIn = input(driver, Topics.METRICS.name());
            TestInputTopic<byte[], byte[]> evalsIn = input(driver, Topics.EVALS.name());
            TestInputTopic<byte[], byte[]> eventsIn = input(driver, Topics.EVENTS.name());
            TestOutputTopic<String, Alert> alertsOut = driver.createOutputTopic(Topics.ALERTS.name(),
                    Topics.ALERTS.keySerde().deserializer(), Topics.ALERTS.valueSerde().deserializer());
            TestOutputTopic<String, DeadLetter> deadOut = driver.createOutputTopic(Topics.DEAD_LETTER.name(),
                    Topics.DEAD_LETTER.keySerde().deserializer(), Topics.DEAD_LETTER.valueSerde().deserializer());
            for (Line line : ordered) {
                TestInputTopic<byte[], byte[]> in = line.topic().equals(Topics.METRICS.name()) ? metricsIn
                        : line.topic().equals(Topics.EVALS.name()) ? evalsIn : eventsIn;
                in.pipeInput(runKey(line.bytes()), line.bytes(), line.timeMs());
                if (!alertsOut.isEmpty()) {
                    for (Alert alert : alertsOut.readValuesToList()) {
                        alerts.add(alert);
                        onAlert.accept(alert);
                    }
                }
            }
            alerts.addAll(alertsOut.readValuesToList());
            deadLetters.addAll(deadOut.readValuesToList());
        } finally {
            deleteQuietly(stateDir);
        }
        return new Result(alerts, deadLetters, ordered.size(), (System.nanoTime() - started) / 1_000_000);
    }

    /** Recorded files carry no Kafka key: key each line by its run id as a trainer would. */
    private static byte[] runKey(byte[] line) {
        String text = new String(line, StandardCharsets.UTF_8);
        int at = text.indexOf("\"run\"");
        if (at < 0) {
            return null;
        }
        int colon = text.indexOf(':', at + 5);
        int open = colon < 0 ? -1 : text.indexOf('"', colon + 1);
        int close = open < 0 ? -1 : text.indexOf('"', open + 1);
        return close < 0 ? null : text.substring(open + 1, close).getBytes(StandardCharsets.UTF_8);
    }

    private static TestInputTopic<byte[], byte[]> input(TopologyTestDriver driver, String topic) {
        return driver.createInputTopic(topic, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("runwatch-backtest");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort: a temp dir left behind is harmless
        }
    }
}
