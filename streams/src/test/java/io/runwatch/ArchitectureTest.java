package io.runwatch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The layering, written down where the build checks it. */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.runwatch");
    }

    @Test
    void theDetectionCoreIsPureJava() {
        noClasses().that().resideInAPackage("io.runwatch.core..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.kafka..", "io.micrometer..",
                        "com.fasterxml..", "io.prometheus..", "picocli..", "io.runwatch.contract..",
                        "io.runwatch.topology..", "io.runwatch.metrics..", "io.runwatch.app..",
                        "io.runwatch.config..")
                .check(classes);
    }

    @Test
    void detectorsDoNotReadTheClock() {
        noClasses().that().resideInAPackage("io.runwatch.core..")
                .should().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(System.class, "nanoTime")
                .orShould().callMethod(java.time.Instant.class, "now")
                .check(classes);
    }

    @Test
    void onlyTheMetricsPackageTouchesMicrometer() {
        noClasses().that().resideOutsideOfPackages("io.runwatch.metrics..", "io.runwatch.app..")
                .should().dependOnClassesThat().resideInAPackage("io.micrometer..")
                .check(classes);
    }

    @Test
    void theTopologyDoesNotKnowTheApplicationShell() {
        noClasses().that().resideInAnyPackage("io.runwatch.topology..", "io.runwatch.contract..",
                        "io.runwatch.metrics..", "io.runwatch.config..")
                .should().dependOnClassesThat().resideInAPackage("io.runwatch.app..")
                .check(classes);
    }

    @Test
    void theQueriesAreALayerAboveTheTopologyAndBesideTheServer() {
        // The query package reads the stores through topology.QueryableStores; the server only routes to it.
        noClasses().that().resideInAnyPackage("io.runwatch.topology..", "io.runwatch.metrics..",
                        "io.runwatch.core..", "io.runwatch.config..")
                .should().dependOnClassesThat().resideInAPackage("io.runwatch.query..")
                .check(classes);
        noClasses().that().resideInAPackage("io.runwatch.query..")
                .should().dependOnClassesThat().resideInAPackage("io.runwatch.app..")
                .check(classes);
    }

    @Test
    void theTrainerLogParsersKnowNothingOfKafkaOrTheShell() {
        // Parsers are pure text → contract records; the tailer, producer and commands wrap them from outside.
        noClasses().that().resideInAPackage("io.runwatch.ingest..")
                .should().dependOnClassesThat().resideInAnyPackage("io.runwatch.topology..", "io.runwatch.app..",
                        "io.runwatch.metrics..", "org.apache.kafka..", "io.micrometer..", "io.prometheus..",
                        "picocli..")
                .check(classes);
    }
}
