package io.runwatch.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code alerts/check.sh} (promtool check and unit tests of every rule, amtool check-config and routing) as
 * part of {@code mvn verify}, so the README's one test command covers the alerting config too.
 */
class PromtoolIT {
    @Test
    void everyRuleAndTheAlertmanagerConfigPassTheirChecks() throws Exception {
        Process process = new ProcessBuilder("bash", RepoRoot.find().resolve("alerts").resolve("check.sh").toString())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("check.sh finishes").isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("SUCCESS").contains("all checks passed");
    }
}
