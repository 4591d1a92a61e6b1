package io.runwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.runwatch.e2e.RepoRoot;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds the real image with Jib from a base image already present in podman's local store (this machine
 * cannot pull one), loads it into podman and starts it. Skipped, saying why, when podman or the base image is
 * missing: then only ImageConfigurationTest and ImageEntrypointIT vouch for the image.
 */
class ContainerImageIT {

    @Test
    void theImageBuiltByJibStartsUnderPodmanAndServesHealthz(@TempDir Path dir) throws Exception {
        Optional<Path> podman = Tools.find("podman");
        assumeTrue(podman.isPresent(), "podman is not installed (buildah alone cannot run the image): the "
                + "container image was NOT built or started here; see deploy/README.md for the build command");
        Path root = RepoRoot.find();
        ImageSpec image = ImageSpec.load(root);
        String base = image.baseImage();
        Tools.Result exists = Tools.run(dir, 60, List.of(podman.get().toString(), "image", "exists", base));
        assumeTrue(exists.exitCode() == 0, "the base image " + base + " is not in podman's local store (this "
                + "machine cannot pull it): the container image was NOT built or started here");
        Optional<Path> mvn = Tools.find("mvn");
        assumeTrue(mvn.isPresent(), "mvn is not on the PATH: cannot run Jib");

        Path baseTar = dir.resolve("base.tar");
        assertThat(Tools.run(dir, 300, List.of(podman.get().toString(), "save", "-o", baseTar.toString(), base))
                .exitCode()).isZero();
        Tools.Result build = Tools.run(root, 600, List.of(mvn.get().toString(), "-B", "-o", "-q", "-Pimage",
                "-pl", "streams", "jib:buildTar", "-Dimage.base=tar://" + baseTar));
        assertThat(build.exitCode()).as("jib:buildTar\n" + build.output()).isZero();
        Tools.Result load = Tools.run(dir, 300, List.of(podman.get().toString(), "load", "-i",
                root.resolve("streams/target/jib-image.tar").toString()));
        assertThat(load.exitCode()).as(load.output()).isZero();

        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        String name = "runwatch-image-it-" + ProcessHandle.current().pid();
        Tools.Result run = Tools.run(dir, 120, List.of(podman.get().toString(), "run", "-d", "--name", name,
                "-p", "127.0.0.1:" + port + ":" + image.ports().get(0), image.targetImage()));
        assertThat(run.exitCode()).as(run.output()).isZero();
        try {
            HttpClient http = HttpClient.newHttpClient();
            long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
            String last = "no answer";
            while (System.nanoTime() < deadline && !last.contains("RUNNING")) {
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    last = r.statusCode() + " " + r.body();
                } catch (java.io.IOException e) {
                    last = e.toString();
                }
                Thread.sleep(1000);
            }
            assertThat(last).as("/healthz of the container").startsWith("200").contains("RUNNING");
            Tools.Result user = Tools.run(dir, 60, List.of(podman.get().toString(), "exec", name, "id", "-u"));
            assertThat(user.output().trim()).isNotEqualTo("0");
        } finally {
            Tools.run(dir, 120, List.of(podman.get().toString(), "stop", "-t", "60", name));
            Tools.run(dir, 60, List.of(podman.get().toString(), "rm", "-f", name));
            Files.deleteIfExists(baseTar);
        }
    }
}
