package io.runwatch.bench;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The bench's handle on one instance JVM of the scale-out section (the shell's {@code BenchWorker}): one command
 * line in on its stdin, one reply line out on its stdout, prefixed with {@link #REPLY} ({@code ok ...} or
 * {@code error ...}); its logs go to a file. When the bench's JVM ends, the instance's stdin closes and it exits.
 */
public final class InstanceProcess implements AutoCloseable {
    /** Marks the worker's reply lines: anything else on its stdout is ignored. */
    public static final String REPLY = "@bench-worker ";
    /** Commands the worker understands. */
    public static final String START = "start";
    public static final String STATE = "state";
    public static final String RESUME = "resume";
    public static final String STOP = "stop";
    /** What {@link #START} starts. */
    public static final String IDENTITY = "identity";
    public static final String RUNWATCH = "runwatch";

    private final String name;
    private final Process process;
    private final BufferedWriter stdin;
    private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
    private final Path logFile;

    private InstanceProcess(String name, Process process, Path logFile) {
        this.name = name;
        this.process = process;
        this.logFile = logFile;
        this.stdin = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        Thread reader = new Thread(this::readReplies, name + "-replies");
        reader.setDaemon(true);
        reader.start();
    }

    static InstanceProcess start(String name, List<String> command, Path logFile) throws IOException {
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
        return new InstanceProcess(name, process, logFile);
    }

    private void readReplies() {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith(REPLY)) {
                    replies.add(line.substring(REPLY.length()));
                }
            }
        } catch (IOException e) {
            // the process ended; call() notices
        }
    }

    /** Sends one command and returns what follows {@code ok} in the reply; fails on an error, a timeout or an exit. */
    String call(String command, Duration timeout) throws IOException, InterruptedException {
        stdin.write(command);
        stdin.newLine();
        stdin.flush();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String reply = replies.poll(100, TimeUnit.MILLISECONDS);
            if (reply != null) {
                if (reply.equals("ok") || reply.startsWith("ok ")) {
                    return reply.length() > 2 ? reply.substring(3) : "";
                }
                throw new IllegalStateException(name + " refused '" + command + "': " + reply + logTail());
            }
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited (code " + process.exitValue() + ") during '"
                        + command + "'" + logTail());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " did not answer '" + command + "' within "
                        + timeout.toSeconds() + " s" + logTail());
            }
        }
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return "; last lines of " + logFile + ":\n  "
                    + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** Closes its stdin (it stops what runs and exits), and kills it if it has not within 60 s. */
    @Override
    public void close() {
        try {
            stdin.close();
        } catch (IOException e) {
            // already gone
        }
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
