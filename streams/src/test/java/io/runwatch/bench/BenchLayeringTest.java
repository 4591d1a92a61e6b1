package io.runwatch.bench;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The benchmark measures the monitor from outside: nothing in the monitor uses it, and it uses no shell class. */
class BenchLayeringTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.runwatch");

    @Test
    void onlyTheShellKnowsTheBenchmark() {
        noClasses().that().resideOutsideOfPackages("io.runwatch.bench..", "io.runwatch.app..")
                .should().dependOnClassesThat().resideInAPackage("io.runwatch.bench..")
                .check(CLASSES);
    }

    @Test
    void theBenchmarkStartsRunwatchThroughTheLauncherNotTheShell() {
        noClasses().that().resideInAPackage("io.runwatch.bench..")
                .should().dependOnClassesThat().resideInAPackage("io.runwatch.app..")
                .check(CLASSES);
    }
}
