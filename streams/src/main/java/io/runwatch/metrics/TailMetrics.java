package io.runwatch.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * The meters of {@code runwatch tail}, the sidecar that follows trainer logs (separate from the monitor's
 * {@link RunwatchMetrics}: a different process with a different job). Series, as Prometheus renders them:
 * <pre>
 * runwatch_tail_lines_read_total{file}                lines read (complete lines; blank ones not counted)
 * runwatch_tail_lines_parsed_total{file}              lines the parser understood
 * runwatch_tail_lines_unparsed_total{file}            lines the parser could not read: a format drift shows here
 * runwatch_tail_bytes_behind{file}                    bytes written to the file and not yet read as lines
 * runwatch_tail_records_sent_total{topic}             contract records committed to a topic (or print file)
 * runwatch_tail_last_record_timestamp_seconds         wall time (epoch s) of the last record committed
 * runwatch_tail_last_poll_timestamp_seconds           wall time of the last look at the files: a stuck tailer stops it
 * </pre>
 * {@code file} is the path as given on the command line; a tailer follows a handful of files, so the series
 * stay few.
 */
public final class TailMetrics {
    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, RunwatchMetrics.DoubleCell> behind = new ConcurrentHashMap<>();
    private final RunwatchMetrics.DoubleCell lastRecordSeconds = new RunwatchMetrics.DoubleCell(Double.NaN);
    private final RunwatchMetrics.DoubleCell lastPollSeconds = new RunwatchMetrics.DoubleCell(Double.NaN);

    public TailMetrics(MeterRegistry registry) {
        this.registry = registry;
        gauge("runwatch_tail_last_record_timestamp_seconds", lastRecordSeconds,
                "Wall-clock time (epoch s) at which the tailer last committed a record");
        gauge("runwatch_tail_last_poll_timestamp_seconds", lastPollSeconds,
                "Wall-clock time (epoch s) at which the tailer last looked at its files");
    }

    private void gauge(String name, RunwatchMetrics.DoubleCell cell, String description) {
        Gauge.builder(name, cell, (ToDoubleFunction<RunwatchMetrics.DoubleCell>) RunwatchMetrics.DoubleCell::get)
                .description(description).strongReference(true).register(registry);
    }

    private Counter counter(String name, String tag, String value, String description) {
        return counters.computeIfAbsent(name + '\u0000' + value, k -> Counter.builder(name)
                .description(description).tag(tag, value).register(registry));
    }

    public void linesRead(String file, long n) {
        counter("runwatch_tail_lines_read", "file", file, "Complete lines the tailer read from a file")
                .increment(n);
    }

    public void linesParsed(String file, long n) {
        counter("runwatch_tail_lines_parsed", "file", file, "Lines of a file the trainer-format parser understood")
                .increment(n);
    }

    public void linesUnparsed(String file, long n) {
        counter("runwatch_tail_lines_unparsed", "file", file,
                "Lines of a file the trainer-format parser could not read (format drift)").increment(n);
    }

    public void recordsSent(String topic, long n, long nowMs) {
        counter("runwatch_tail_records_sent", "topic", topic, "Contract records the tailer committed, per topic")
                .increment(n);
        lastRecordSeconds.set(nowMs / 1000.0);
    }

    public void bytesBehind(String file, long bytes) {
        behind.computeIfAbsent(file, f -> {
            RunwatchMetrics.DoubleCell cell = new RunwatchMetrics.DoubleCell(0);
            Gauge.builder("runwatch_tail_bytes_behind", cell,
                            (ToDoubleFunction<RunwatchMetrics.DoubleCell>) RunwatchMetrics.DoubleCell::get)
                    .description("Bytes written to a followed file that the tailer has not read as lines yet")
                    .tag("file", f).strongReference(true).register(registry);
            return cell;
        }).set(bytes);
    }

    public void polled(long nowMs) {
        lastPollSeconds.set(nowMs / 1000.0);
    }
}
