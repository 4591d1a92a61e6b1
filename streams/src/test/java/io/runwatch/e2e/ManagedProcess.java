package io.runwatch.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.contract.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * An external server started by a test: its output goes to a log file in its own temporary directory, it is
 * stopped by the PID this class started (never by name), and the directory is deleted afterwards.
 */
final class ManagedProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Process process;
    private final Path workDir;
    private final Path log;
    private final Thread stopOnExit;

    private ManagedProcess(String name, Process process, Path workDir, Path log) {
        this.name = name;
        this.process = process;
        this.workDir = workDir;
        this.log = log;
        this.stopOnExit = new Thread(this::stopProcess, "stop-" + name);
        Runtime.getRuntime().addShutdownHook(stopOnExit);
    }

    /** Starts {@code command} with its output in {@code workDir/<name>.log}. */
    static ManagedProcess start(String name, List<String> command, Path workDir) {
        Path log = workDir.resolve(name + ".log");
        try {
            Process process = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            return new ManagedProcess(name, process, workDir, log);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start " + name + ": " + command, e);
        }
    }

    /** Starts {@code command} and waits until {@code readyUrl} answers 200; stops it again if it never does. */
    static ManagedProcess startReady(String name, List<String> command, Path workDir, URI readyUrl) {
        ManagedProcess process = start(name, command, workDir);
        try {
            process.awaitHttpOk(readyUrl, Duration.ofSeconds(30));
            return process;
        } catch (RuntimeException e) {
            process.close();
            throw e;
        }
    }

    /** GETs {@code url} from this process's HTTP API and parses the JSON answer. */
    JsonNode getJson(URI url) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return Json.MAPPER.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + url + " from " + name + " failed\n" + logTail(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Waits until {@code url} answers 200, failing early (with the log) if the process exits. */
    void awaitHttpOk(URI url, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + "\n" + logTail());
            }
            try {
                HttpResponse<Void> response = HTTP.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(2))
                        .build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for " + name, e);
            }
            sleep(100);
        }
        throw new IllegalStateException(name + " not ready at " + url + " after " + timeout + "\n" + logTail());
    }

    long pid() {
        return process.pid();
    }

    Path workDir() {
        return workDir;
    }

    /** The last lines of the process's log, for failure messages. */
    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return "--- last lines of " + log + " ---\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        stopProcess();
        try {
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run
        }
        deleteRecursively(workDir);
    }

    private void stopProcess() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy(); // SIGTERM to the PID we started
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }
}
