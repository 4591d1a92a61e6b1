package io.runwatch.ingest.evals;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The result-file parsers are pure: text in, contract records out; no Kafka, no topology, no I/O, no clock. */
class EvalImportLayeringTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.runwatch");
    }

    @Test
    void theParsersKnowOnlyTheContract() {
        noClasses().that().resideInAPackage("io.runwatch.ingest.evals..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.kafka..", "io.micrometer..",
                        "picocli..", "io.runwatch.topology..", "io.runwatch.app..", "io.runwatch.metrics..",
                        "java.nio.file..", "java.io..", "java.net..")
                .check(classes);
    }

    @Test
    void theParsersDoNotReadTheClockOrStartThreads() {
        noClasses().that().resideInAPackage("io.runwatch.ingest.evals..")
                .should().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(System.class, "nanoTime")
                .orShould().callMethod(java.time.Instant.class, "now")
                .orShould().dependOnClassesThat().areAssignableTo(Thread.class)
                .check(classes);
    }
}
