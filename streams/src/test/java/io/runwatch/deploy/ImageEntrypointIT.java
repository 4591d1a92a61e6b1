package io.runwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.e2e.RepoRoot;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's jar started exactly as the image starts it: the entrypoint's JVM flags, {@code -jar}, the image's
 * arguments. Two values are swapped so the test stays on this machine: {@code --http-host} binds 127.0.0.1
 * instead of 0.0.0.0, and {@code --data-dir} points at a temporary directory instead of the volume. The port
 * comes from the environment twin RUNWATCH_HTTP_PORT, as an operator would override it.
 */
class ImageEntrypointIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static Path imageJar(ImageSpec image) {
        Path root = RepoRoot.find();
        Path dir = root.resolve("streams/target/image");
        assertThat(image.extraDirectories()).contains(dir + " -> /");
        return dir.resolve(image.jarInImage().substring(1));
    }

    @Test
    void theImageJarHoldsOnlyLinuxNativesAndIsSmallerThanThePlainJar() throws Exception {
        ImageSpec image = ImageSpec.load(RepoRoot.find());
        Path jar = imageJar(image);
        Path plain = RepoRoot.find().resolve("streams/target/runwatch.jar");
        assertThat(jar).as("built by the shade execution image-jar in `package`").exists();
        List<String> natives = new ArrayList<>();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            zip.stream().map(e -> e.getName())
                    .filter(n -> n.endsWith(".so") || n.endsWith(".dll") || n.endsWith(".jnilib")
                            || n.endsWith(".dylib") || n.endsWith(".a"))
                    .forEach(natives::add);
        }
        assertThat(natives).isNotEmpty().allSatisfy(n -> assertThat(n).endsWith(".so")
                .containsAnyOf("linux64", "linux-aarch64", "linux/amd64", "linux/aarch64", "Linux/x86_64",
                        "Linux/aarch64"));
        assertThat(natives).contains("librocksdbjni-linux64.so", "librocksdbjni-linux-aarch64.so");
        System.out.printf("IMAGE_JAR plain %s: %.1f MB; image %s: %.1f MB (%d native libraries, all Linux glibc "
                        + "amd64/arm64)%n", plain.getFileName(), Files.size(plain) / 1e6, jar.getFileName(),
                Files.size(jar) / 1e6, natives.size());
        assertThat(Files.size(jar)).isLessThan(Files.size(plain) / 2);
    }

    @Test
    void theJarStartsWithTheImagesEntrypointServesHealthzAndStopsOnSigterm(@TempDir Path dir) throws Exception {
        ImageSpec image = ImageSpec.load(RepoRoot.find());
        Path jar = imageJar(image);
        Path dataDir = dir.resolve("data");
        int port = freePort();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(image.jvmOptions());
        command.add("-jar");
        command.add(jar.toString());
        List<String> args = new ArrayList<>(image.args());
        args.set(args.indexOf("--http-host") + 1, "127.0.0.1");
        args.set(args.indexOf("--data-dir") + 1, dataDir.toString());
        command.addAll(args);

        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("runwatch.log").toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("RUNWATCH_")); // only the image's own flags
        builder.environment().put("RUNWATCH_HTTP_PORT", String.valueOf(port));
        long started = System.nanoTime();
        Process process = builder.start();
        try {
            URI healthz = URI.create("http://127.0.0.1:" + port + "/healthz");
            String health = awaitRunning(healthz, process, dir.resolve("runwatch.log"));
            double startSeconds = (System.nanoTime() - started) / 1e9;
            assertThat(health).contains("RUNNING");
            String metrics = get(URI.create("http://127.0.0.1:" + port + "/metrics")).body();
            assertThat(metrics).contains("runwatch_streams_running 1.0");
            // State under --data-dir (the image's volume): the Streams stores and the embedded broker.
            assertThat(dataDir.resolve("streams-state")).isDirectory();
            assertThat(dataDir.resolve("kafka")).isDirectory();

            long stopping = System.nanoTime();
            process.destroy(); // SIGTERM, as the container runtime sends it
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped within 60 s of SIGTERM\n"
                    + tail(dir.resolve("runwatch.log"))).isTrue();
            double stopSeconds = (System.nanoTime() - stopping) / 1e9;
            String log = Files.readString(dir.resolve("runwatch.log"));
            assertThat(log).doesNotContain("UnsatisfiedLinkError").doesNotContain("Exception in thread \"main\"");
            System.out.printf("IMAGE_ENTRYPOINT %s: RUNNING after %.1f s, stopped %.1f s after SIGTERM "
                    + "(exit %d)%n", String.join(" ", image.entrypoint()) + " " + String.join(" ", image.args()),
                    startSeconds, stopSeconds, process.exitValue());
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static String awaitRunning(URI healthz, Process process, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("runwatch exited with " + process.exitValue() + "\n" + tail(log));
            }
            try {
                HttpResponse<String> response = get(healthz);
                last = response.statusCode() + " " + response.body();
                if (response.statusCode() == 200 && response.body().contains("RUNNING")) {
                    return response.body();
                }
            } catch (java.io.IOException e) {
                last = e.toString();
            }
            Thread.sleep(500);
        }
        throw new AssertionError("/healthz never said RUNNING in 180 s; last: " + last + "\n" + tail(log));
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static HttpResponse<String> get(URI uri) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String tail(Path log) throws java.io.IOException {
        List<String> lines = Files.exists(log) ? Files.readAllLines(log) : Collections.emptyList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
