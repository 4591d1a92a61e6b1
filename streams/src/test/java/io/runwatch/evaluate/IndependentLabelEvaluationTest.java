package io.runwatch.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.config.Settings;
import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.RunInput;
import io.runwatch.core.Severity;
import io.runwatch.evaluate.IndependentLabelEvaluation.Labelling;
import io.runwatch.evaluate.IndependentLabelEvaluation.Score;
import io.runwatch.evaluate.IndependentLabelEvaluation.Tally;
import io.runwatch.evaluate.IndependentLabeller.Kind;
import io.runwatch.evaluate.IndependentLabeller.Label;
import io.runwatch.evaluate.IndependentLabeller.NoiseModel;
import io.runwatch.evaluate.IndependentLabeller.Trajectory;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * The real-table evaluation with the independent labeller on the small real tables bundled under
 * {@code evals/real} (a few whole trajectories of BigScience tr12b, OLMo-2 7B and Pythia 70M; NOTICE.md there).
 */
class IndependentLabelEvaluationTest {
    private static final String TR12B = "bigscience_tr12b-1B3-oscar-en-filtered-dedup";
    private static final String OLMO_7B = "olmo2-7B_peteish7";

    private static List<RunInput> bundled() throws URISyntaxException {
        Path dir = Path.of(Objects.requireNonNull(IndependentLabelEvaluationTest.class.getResource("/evals/real"))
                .toURI());
        return EvalRealData.load(dir);
    }

    private static Map<String, Trajectory> trajectories(List<RunInput> real) {
        return IndependentLabeller.trajectories(real.stream().map(RunInput::eval).toList());
    }

    @Test
    void bothLabellersLabelTheDropOfEveryBenchmarkAtTr12bsSixthCheckpoint() throws URISyntaxException {
        Map<String, Trajectory> all = trajectories(bundled());
        Trajectory hellaswag = all.get(TR12B + "/hellaswag:acc_norm");

        // At step 27000 every accuracy of the run falls by 1-3 points and is back at the next checkpoint.
        assertThat(IndependentLabeller.label(hellaswag, NoiseModel.BINOMIAL))
                .anyMatch(l -> l.fromStep() == 27_000 && l.kind() == Kind.SINGLE);
        assertThat(IndependentLabeller.label(hellaswag, NoiseModel.HELD_OUT))
                .anyMatch(l -> l.fromStep() == 27_000 && l.kind() == Kind.SINGLE);
        // Its perplexity has no binomial error; the held-out half labels it.
        Trajectory perplexity = all.get(TR12B + "/lambada:ppl");
        assertThat(IndependentLabeller.applies(perplexity, NoiseModel.BINOMIAL)).isFalse();
        assertThat(IndependentLabeller.label(perplexity, NoiseModel.HELD_OUT)).extracting(Label::fromStep)
                .contains(27_000L);
        // wic stays at chance: nothing to lose, no label from either.
        Trajectory wic = all.get(TR12B + "/wic:acc");
        assertThat(IndependentLabeller.label(wic, NoiseModel.BINOMIAL)).isEmpty();
        assertThat(IndependentLabeller.label(wic, NoiseModel.HELD_OUT)).isEmpty();
    }

    @Test
    void aMultipleChoiceFormatSwingsFarBeyondItsBinomialErrorWhileItsClozeTwinDoesNot() throws URISyntaxException {
        Map<String, Trajectory> all = trajectories(bundled());
        Trajectory mc = all.get(OLMO_7B + "/hellaswag_val_5shot:acc_mc");
        Trajectory cloze = all.get(OLMO_7B + "/hellaswag_val_5shot:acc_rc_len_norm");

        assertThat(IndependentLabeller.heldOutOverBinomial(mc)).isGreaterThan(IndependentLabelEvaluation.SWINGING_RATIO);
        assertThat(IndependentLabeller.heldOutOverBinomial(cloze)).isLessThan(2);
        // Beyond sampling error again and again, but mostly ordinary for this format.
        assertThat(IndependentLabeller.label(mc, NoiseModel.BINOMIAL).size())
                .isGreaterThan(3 * IndependentLabeller.label(mc, NoiseModel.HELD_OUT).size());
    }

    /**
     * On every real table of {@code ../shared} (skipped where absent): the labels runwatch finds, and its alerts that
     * match none, as reached when the real tickets went from 150 to 135 (README, "Real tables against independent
     * labels"): cutting tickets lost no label of either labeller.
     */
    @Test
    void onTheRealTablesFewerTicketsFindEveryLabelTheyFoundBefore() {
        java.nio.file.Path shared = Evaluate.sharedData();
        org.junit.jupiter.api.Assumptions.assumeTrue(shared != null, "../shared/data not present");
        List<RunInput> real = EvalRealData.load(shared.resolve("data/evals"));
        Score score = IndependentLabelEvaluation.score(real,
                Map.of(IndependentLabelEvaluation.RUNWATCH, new MonitorDetection(Settings.defaults()).detect(real)));
        Tally binomial = score.tally("all", Labelling.BINOMIAL, IndependentLabelEvaluation.RUNWATCH);
        Tally heldOut = score.tally("all", Labelling.HELD_OUT, IndependentLabelEvaluation.RUNWATCH);
        Tally both = score.tally("all", Labelling.BOTH, IndependentLabelEvaluation.RUNWATCH);

        assertThat(binomial.foundCount()).isGreaterThanOrEqualTo(49); // of 149
        assertThat(heldOut.foundCount()).isGreaterThanOrEqualTo(36); // of 63
        assertThat(both.foundCount()).isGreaterThanOrEqualTo(17); // of 35
        // 49 / 93 / 69 at 150 tickets
        assertThat(binomial.unmatched).isLessThanOrEqualTo(45);
        assertThat(heldOut.unmatched).isLessThanOrEqualTo(79);
        assertThat(both.unmatched).isLessThanOrEqualTo(64);
    }

    @Test
    void theRealTableEvaluationRunsOnTheBundledTables() throws URISyntaxException {
        List<RunInput> real = bundled();
        List<Alert> runwatch = new MonitorDetection(Settings.defaults()).detect(real);
        List<Alert> baseline = new EvalBaselineDetection().detect(real);
        Map<String, List<Alert>> byDetector = new LinkedHashMap<>();
        byDetector.put(IndependentLabelEvaluation.RUNWATCH, runwatch);
        byDetector.put(IndependentLabelEvaluation.BASELINE, baseline);
        Score score = IndependentLabelEvaluation.score(real, byDetector);

        for (Labelling l : Labelling.values()) {
            Tally all = score.tally("all", l, IndependentLabelEvaluation.RUNWATCH);
            int labels = 0;
            for (String source : List.of("OLMo-2", "BigScience", "Pythia")) {
                Tally t = score.tally(source, l, IndependentLabelEvaluation.RUNWATCH);
                assertThat(t.runs).hasSize(1);
                assertThat(t.foundCount()).isBetween(0, t.labelCount());
                labels += t.labelCount();
            }
            assertThat(all.labelCount()).isEqualTo(labels);
        }
        assertThat(score.tally("all", Labelling.BOTH, IndependentLabelEvaluation.RUNWATCH).labelCount())
                .isPositive()
                .isLessThanOrEqualTo(score.tally("all", Labelling.BINOMIAL, IndependentLabelEvaluation.RUNWATCH)
                        .labelCount());
        long runwatchTickets = runwatch.stream()
                .filter(a -> a.isFiring() && a.type() == AlertType.eval_regression).count();
        assertThat(score.alerts()).isEqualTo((int) runwatchTickets);
        String table = IndependentLabelEvaluation.section(score, IndependentLabelEvaluation.RUNWATCH,
                IndependentLabelEvaluation.BASELINE).toMarkdown();
        assertThat(table).contains("| OLMo-2 | binomial |", "| BigScience | held-out half |", "| Pythia | both |",
                "| all | both |");
    }

    @Test
    void anAlertFindsTheLabelItsOnsetFallsInAndTheRestMatchNoLabel() throws URISyntaxException {
        List<RunInput> real = bundled();
        Trajectory hellaswag = trajectories(real).get(TR12B + "/hellaswag:acc_norm");
        Label drop = IndependentLabeller.label(hellaswag, NoiseModel.BINOMIAL).stream()
                .filter(l -> l.fromStep() == 27_000).findFirst().orElseThrow();
        long before = hellaswag.steps()[drop.from() - IndependentLabelEvaluation.EARLY_CHECKPOINTS];
        long tooEarly = hellaswag.steps()[drop.from() - IndependentLabelEvaluation.EARLY_CHECKPOINTS - 1];
        Map<String, List<Alert>> byDetector = new LinkedHashMap<>();
        byDetector.put("at onset", List.of(ticket(TR12B, "hellaswag", "acc_norm", 27_000)));
        byDetector.put("just before", List.of(ticket(TR12B, "hellaswag", "acc_norm", before)));
        byDetector.put("too early", List.of(ticket(TR12B, "hellaswag", "acc_norm", tooEarly)));
        Score score = IndependentLabelEvaluation.score(real, byDetector);

        Tally atOnset = score.tally("BigScience", Labelling.BINOMIAL, "at onset");
        assertThat(atOnset.foundCount()).isEqualTo(1);
        assertThat(atOnset.unmatched).isZero();
        assertThat(score.tally("BigScience", Labelling.BINOMIAL, "just before").foundCount()).isEqualTo(1);
        Tally early = score.tally("BigScience", Labelling.BINOMIAL, "too early");
        assertThat(early.foundCount()).isZero();
        assertThat(early.unmatched).isEqualTo(1);
    }

    private static Alert ticket(String run, String benchmark, String metric, long step) {
        return Alert.firing(run, AlertType.eval_regression, Severity.ticket, step).benchmark(benchmark, metric)
                .detectedAt(step, 0).summary("test").build();
    }
}
