package io.runwatch.core.evals;

import java.util.List;
import java.util.Locale;

/**
 * What runwatch knows about common benchmarks without being told: the accuracy a model without skill gets,
 * and the capability a benchmark measures when the eval record has no {@code capability} field.
 *
 * <p>The no-skill range is what a model gets by answering without looking at the question. For
 * multiple-choice tasks with shuffled answer positions it collapses to 1/choices. For yes/no or other
 * classification tasks with imbalanced labels a model that always picks one class scores that class's rate,
 * and a model with a fixed bias lands anywhere between the minority and the majority rate; so accuracy can
 * swing over that whole range without any capability change. Rates are those of the split the common
 * harnesses evaluate (validation unless noted); open-ended tasks (lambada, triviaqa, webqs) have chance 0.
 * Names match by prefix, case-insensitive, so {@code arc_easy_test_5shot} and {@code hendrycksTest-anatomy}
 * are recognised.
 */
public final class BenchmarkCatalog {

    /** A benchmark family: name prefixes, no-skill accuracy range and default capability. */
    public record Benchmark(List<String> prefixes, double noSkillLow, double noSkillHigh, String capability) {
        /** Accuracy of the best answer-ignoring model: the majority rate, or 1/choices. */
        public double chance() {
            return noSkillHigh;
        }

        /** True for classification tasks whose label imbalance lets accuracy swing without skill. */
        public boolean isImbalancedClassification() {
            return noSkillHigh - noSkillLow > 0.02;
        }
    }

    public static final String KNOWLEDGE = "knowledge";
    public static final String COMMONSENSE = "commonsense";
    public static final String READING = "reading";
    public static final String REASONING = "reasoning";
    public static final String CLASSIFICATION = "classification";
    public static final String LANGUAGE_MODELLING = "language_modelling";

    // Longer prefixes first where one prefix contains another (arc_challenge before arc).
    private static final List<Benchmark> KNOWN = List.of(
            mc(0.25, KNOWLEDGE, "arc_challenge", "arc_easy", "arc-challenge", "arc-easy"),
            mc(0.25, KNOWLEDGE, "mmlu", "hendrycks"),
            mc(0.25, KNOWLEDGE, "sciq", "openbookqa", "obqa", "headqa", "race"),
            mc(0.20, REASONING, "mathqa"),
            mc(0.25, REASONING, "logiqa"),
            mc(0.25, COMMONSENSE, "hellaswag", "prost"),
            mc(0.20, COMMONSENSE, "csqa", "commonsense_qa", "commonsenseqa"),
            mc(1.0 / 3, COMMONSENSE, "socialiqa", "social_iqa", "siqa"),
            mc(0.50, COMMONSENSE, "piqa", "winogrande", "copa"),
            // SuperGLUE WSC validation: 66 of 104 are "false".
            binary(0.635, COMMONSENSE, "wsc"),
            // BoolQ validation: 62.2% "yes".
            binary(0.622, READING, "boolq"),
            mc(0.0, READING, "lambada"),
            // PubMedQA: yes 55.2%, no 33.8%, maybe 11%.
            new Benchmark(List.of("pubmedqa"), 0.11, 0.552, KNOWLEDGE),
            mc(0.0, KNOWLEDGE, "triviaqa", "webqs", "nq_open", "naturalqs"),
            // GLUE validation splits: MRPC 68.4% paraphrase, QQP 63.2% not duplicate, RTE 52.7%,
            // SST-2 50.9% positive, WNLI 56.3%, QNLI and WiC balanced.
            binary(0.684, CLASSIFICATION, "mrpc"),
            binary(0.632, CLASSIFICATION, "qqp"),
            binary(0.527, CLASSIFICATION, "rte"),
            binary(0.509, CLASSIFICATION, "sst"),
            binary(0.563, CLASSIFICATION, "wnli"),
            mc(0.50, CLASSIFICATION, "qnli", "wic"),
            new Benchmark(List.of("c4", "pile", "wikitext"), Double.NaN, Double.NaN,
                    LANGUAGE_MODELLING));

    private BenchmarkCatalog() {
    }

    /** The catalogue entry whose prefix matches, or null for an unknown benchmark. */
    public static Benchmark find(String benchmark) {
        if (benchmark == null) {
            return null;
        }
        String name = benchmark.toLowerCase(Locale.ROOT);
        for (Benchmark known : KNOWN) {
            for (String prefix : known.prefixes()) {
                if (name.startsWith(prefix)) {
                    return known;
                }
            }
        }
        return null;
    }

    /** The point's own capability if given, else the catalogue's, else "other". */
    public static String capabilityOf(String benchmark, String declared) {
        if (declared != null && !declared.isBlank()) {
            return declared;
        }
        Benchmark known = find(benchmark);
        return known == null ? "other" : known.capability();
    }

    private static Benchmark mc(double chance, String capability, String... prefixes) {
        return new Benchmark(List.of(prefixes), chance, chance, capability);
    }

    private static Benchmark binary(double majority, String capability, String... prefixes) {
        return new Benchmark(List.of(prefixes), 1 - majority, majority, capability);
    }
}
