package io.runwatch.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.config.Settings;
import io.runwatch.evaluate.Fp16Evaluation.Tally;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Issue 17's targets on the seeded fp16 suite (no ../shared needed). */
class Fp16EvaluationTest {

    @Test
    void meetsTheIssueTargets() {
        Map<String, Tally> tallies = Fp16Evaluation.score(new MonitorDetection(Settings.defaults()),
                SyntheticFp16Suite.generate());
        tallies.forEach((scenario, t) -> t.cases.forEach(c -> System.out.println(scenario + ": " + c)));

        Tally healthy = tallies.get("healthy fp16");
        assertThat(healthy.runs).isGreaterThanOrEqualTo(10);
        assertThat(healthy.pages + healthy.tickets).as("pages and tickets on healthy fp16 runs").isZero();
        Tally plateau = tallies.get("healthy plateau, 2-3 significant digits");
        assertThat(plateau.pages + plateau.tickets).as("alerts on printed plateaus").isZero();

        for (String scenario : new String[] {"scale collapse, every step skipped", "bf16, NaN gradient norm",
                "frozen loss", "loss collapsed to 0", "NaN grad norm, loss still falling",
                "loss blow-up with NaN grad norm"}) {
            Tally t = tallies.get(scenario);
            assertThat(t.expected).as(scenario).isPositive();
            assertThat(t.inTime).as("%s: expected alert in time", scenario).isEqualTo(t.expected);
            assertThat(t.falsePages + t.falseTickets).as("%s: other pages or tickets", scenario).isZero();
        }
        // A declared-bf16 run pages on its very first NaN gradient norm.
        assertThat(tallies.get("bf16, NaN gradient norm").delaySteps).containsOnly(0.0);
    }

    @Test
    void healthyRunsStayQuietOnOtherDraws() {
        for (int draw = 1; draw < 4; draw++) {
            int i = draw;
            Map<String, Tally> tallies = Fp16Evaluation.score(new MonitorDetection(Settings.defaults()),
                    SyntheticFp16Suite.generate(SyntheticFp16Suite.SEED + i));
            for (Map.Entry<String, Tally> e : tallies.entrySet()) {
                e.getValue().cases.forEach(c -> System.out.println("draw " + i + ", " + e.getKey() + ": " + c));
                assertThat(e.getValue().falsePages).as("draw %d, %s: false pages", i, e.getKey()).isZero();
                if (e.getKey().startsWith("healthy")) {
                    // Draw 1's healthy run has two 5-sigma points side by side in 2 % noise: no slow rise.
                    assertThat(e.getValue().pages + e.getValue().tickets).as("draw %d, %s: alerts", i, e.getKey())
                            .isZero();
                }
                assertThat(e.getValue().inTime).as("draw %d, %s: in time", i, e.getKey())
                        .isEqualTo(e.getValue().expected);
            }
        }
    }
}
