package io.runwatch.app;

import io.runwatch.ingest.follow.TailState;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --print-dir DIR}: contract records as JSON lines in {@code DIR/metrics.jsonl}, {@code DIR/events.jsonl}
 * (and {@code DIR/evals.jsonl} when a {@code jsonl} log carries evaluations), ready for
 * {@code backtest --metrics ... --events ...}. Files start empty unless the tailer resumes from an offset file.
 */
final class PrintDirSink implements Tailer.Sink {
    private final Path dir;
    private final boolean append;
    private final Map<String, BufferedWriter> writers = new HashMap<>();

    PrintDirSink(Path dir, boolean append) throws IOException {
        this.dir = dir;
        this.append = append;
        Files.createDirectories(dir);
        writer("runwatch.metrics");
        writer("runwatch.events");
    }

    private BufferedWriter writer(String topic) {
        return writers.computeIfAbsent(topic, t -> {
            String name = t.substring("runwatch.".length()) + ".jsonl";
            try {
                return Files.newBufferedWriter(dir.resolve(name), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE, append ? StandardOpenOption.APPEND
                                : StandardOpenOption.TRUNCATE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @Override
    public TailState recover(TailState saved) {
        return saved;
    }

    @Override
    public void commit(List<Tailer.Outgoing> records, TailState after) throws IOException {
        for (Tailer.Outgoing o : records) {
            BufferedWriter out = writer(o.topic());
            out.write(o.record().json());
            out.newLine();
        }
        for (BufferedWriter out : writers.values()) {
            out.flush();
        }
    }

    @Override
    public void close() {
        for (BufferedWriter out : writers.values()) {
            try {
                out.close();
            } catch (IOException e) {
                System.err.println("runwatch tail: closing a print file failed: " + e.getMessage());
            }
        }
    }
}
