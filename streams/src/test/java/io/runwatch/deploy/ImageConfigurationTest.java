package io.runwatch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.app.Main;
import io.runwatch.e2e.RepoRoot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import picocli.CommandLine;

/**
 * The Jib configuration of the image, checked offline (building the image needs a base image this machine
 * cannot pull; ImageEntrypointIT starts the image's jar with its entrypoint, ContainerImageIT the image).
 */
class ImageConfigurationTest {
    private static ImageSpec image;
    private static CommandLine.Model.CommandSpec run;

    @BeforeAll
    static void load() throws Exception {
        image = ImageSpec.load(RepoRoot.find());
        run = new CommandLine(new Main()).getSubcommands().get("run").getCommandSpec();
    }

    @Test
    void jibIsPinnedInTheParentPom() {
        assertThat(image.jibVersion()).as("jib-maven-plugin version in the parent's pluginManagement")
                .matches("\\d+\\.\\d+\\.\\d+");
        assertThat(image.baseImage()).isNotBlank();
        assertThat(image.targetImage()).isEqualTo("runwatch:" + image.labels().get("org.opencontainers.image.version"));
    }

    @Test
    void theEntrypointIsJavaDashJarWithTheHeapSizedFromTheContainer() {
        assertThat(image.entrypoint().get(0)).isEqualTo("java");
        String ram = image.jvmOptions().stream().filter(o -> o.startsWith("-XX:MaxRAMPercentage=")).findFirst()
                .orElseThrow(() -> new AssertionError("no -XX:MaxRAMPercentage in " + image.entrypoint()));
        double percent = Double.parseDouble(ram.substring(ram.indexOf('=') + 1));
        // Room must stay for RocksDB (off-heap), metaspace and thread stacks.
        assertThat(percent).isBetween(25.0, 75.0);
        assertThat(image.jvmOptions()).noneMatch(o -> o.startsWith("-Xmx"))
                .as("a fixed -Xmx would ignore the container's limit");
        assertThat(image.jarInImage()).isEqualTo("/app/runwatch.jar");
    }

    @Test
    void theImageJarIsTheShadedLinuxJarCopiedToWhereTheEntrypointRunsIt() throws Exception {
        Element shade = null;
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(RepoRoot.find().resolve("streams/pom.xml").toFile());
        var executions = doc.getElementsByTagName("execution");
        for (int i = 0; i < executions.getLength(); i++) {
            Element execution = (Element) executions.item(i);
            if ("image-jar".equals(ImageSpec.text(ImageSpec.child(execution, "id")))) {
                shade = execution;
            }
        }
        assertThat(shade).as("shade execution image-jar").isNotNull();
        String outputFile = ImageSpec.text(ImageSpec.child(ImageSpec.child(shade, "configuration"), "outputFile"))
                .replace("${project.build.directory}", RepoRoot.find().resolve("streams/target").toString());
        String jarDir = RepoRoot.find().resolve("streams/target/image").toString();
        assertThat(image.extraDirectories()).contains(jarDir + " -> /");
        assertThat("/" + Path.of(jarDir).relativize(Path.of(outputFile)).toString().replace('\\', '/'))
                .isEqualTo(image.jarInImage());
        List<String> kept = new ArrayList<>();
        var includes = shade.getElementsByTagName("include");
        for (int i = 0; i < includes.getLength(); i++) {
            kept.add(includes.item(i).getTextContent().trim());
        }
        assertThat(kept).contains("librocksdbjni-linux64.so", "librocksdbjni-linux-aarch64.so");
    }

    @Test
    void theArgumentsAreRealRunFlagsServingOnAllInterfacesWithStateOnTheVolume() {
        assertThat(image.args().get(0)).isEqualTo("run");
        for (String arg : image.args().subList(1, image.args().size())) {
            if (arg.startsWith("--")) {
                assertThat(run.findOption(arg)).as("flag " + arg + " of `runwatch run`").isNotNull();
            }
        }
        assertThat(image.argValue("--http-host")).isEqualTo("0.0.0.0");
        assertThat(image.volumes()).containsExactly(image.argValue("--data-dir"));
        assertThat(image.ports()).containsExactly(Integer.parseInt(run.findOption("--http-port").defaultValue()));
    }

    @Test
    void theImageRunsAsANonRootUser() {
        assertThat(image.user()).isNotBlank();
        String uid = image.user().split(":")[0];
        assertThat(uid).isNotIn("0", "root");
        assertThat(Integer.parseInt(uid)).isPositive();
    }

    @Test
    void theImageCarriesTheOciLabels() {
        assertThat(image.labels()).containsKeys("org.opencontainers.image.source",
                "org.opencontainers.image.version", "org.opencontainers.image.licenses");
        assertThat(image.labels().get("org.opencontainers.image.version")).doesNotContain("${");
        assertThat(image.labels().values()).allSatisfy(v -> assertThat(v).isNotBlank());
    }

    @Test
    void theImageIsReproducible() {
        Element container = ImageSpec.child(ImageSpec.child(image.jibPlugin(), "configuration"), "container");
        assertThat(ImageSpec.text(ImageSpec.child(container, "creationTime"))).isEqualTo("EPOCH");
    }
}
