package io.runwatch.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every bundled real log, read with {@code --format auto}, converts to its expected file: at least 99% of the
 * expected losses at the right steps (NaN matches NaN), no step that the expected file does not have (in the same
 * order, rewinds included), grad norms wherever the log has them, and every record accepted by the input contract.
 */
class ParserConformanceTest {
    @TestFactory
    Stream<DynamicTest> everyRealLogConvertsToItsExpectedRecords() {
        return ParserConformance.cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            ParserConformance.Result r = ParserConformance.run(c);
            assertThat(r.detectedFormat()).isEqualTo(c.expectedFormat());
            assertThat(r.invalidRecords()).isEmpty();
            assertThat(r.expectedLosses()).isPositive();
            assertThat(r.lossCoverage()).as("losses matched: %s", r.mismatches()).isGreaterThanOrEqualTo(0.99);
            assertThat(r.spuriousSteps()).as("spurious: %s", r.mismatches()).isZero();
            assertThat(r.extraLosses()).as("losses where none is expected: %s", r.mismatches()).isZero();
            assertThat(r.gradCoverage()).as("grad norms matched: %s", r.mismatches()).isGreaterThanOrEqualTo(0.99);
        }));
    }
}
