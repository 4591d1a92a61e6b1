package io.runwatch.ingest.evals;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.runwatch.contract.InputParser;
import io.runwatch.contract.Json;
import io.runwatch.core.EvalPoint;
import io.runwatch.ingest.ContractRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Each format and trap of the result files, on excerpts shaped like the harnesses write them. */
class EvalResultParserTest {
    private static final String RUN = "r";
    private final EvalResultParser parser = new EvalResultParser(1 << 20);

    private EvalFileResult parse(String path, String text) {
        return parser.parse(RUN, path, text, OptionalLong.empty());
    }

    /** Every record the parser returns is valid contract input; returns what the monitor would see. */
    private static List<EvalPoint> points(EvalFileResult result) {
        InputParser contract = new InputParser(1 << 20);
        return result.records().stream().map(r -> {
            var parsed = contract.parse(InputParser.Kind.EVALS, r.json().getBytes(StandardCharsets.UTF_8), 7);
            assertThat(parsed.isOk()).as(r.json()).isTrue();
            assertThat(r.kind()).isEqualTo(InputParser.Kind.EVALS);
            assertThat(r.run()).isEqualTo(RUN);
            assertThat(r.step()).isEqualTo(parsed.input().eval().step());
            return parsed.input().eval();
        }).toList();
    }

    private static EvalPoint point(List<EvalPoint> points, String benchmark, String metric) {
        return points.stream().filter(p -> p.benchmark().equals(benchmark) && p.metric().equals(metric))
                .findFirst().orElseThrow(() -> new AssertionError("no " + benchmark + " " + metric + " in " + points));
    }

    private static final String V03 = """
            {
              "results": {
                "lambada_openai": {
                  "ppl": 3647245.6417574524,
                  "ppl_stderr": 369316.1236926213,
                  "acc": 0.0,
                  "acc_stderr": 0.0
                },
                "crows_pairs_english": {
                  "likelihood_difference": 3.4450749105545615,
                  "likelihood_difference_stderr": 0.0849,
                  "pct_stereotype": 0.5688729874776386,
                  "pct_stereotype_stderr": 0.012096
                },
                "wikitext": {
                  "word_perplexity": NaN,
                  "byte_perplexity": 1.9,
                  "byte_perplexity_stderr": NaN
                }
              },
              "versions": {"lambada_openai": 0, "crows_pairs_english": 0, "wikitext": 1},
              "config": {"model": "hf-causal", "model_args": "use_accelerate=True,pretrained=EleutherAI/pythia-v1.1-160m,revision=step0",
                         "num_fewshot": 0, "batch_size": 32}
            }
            """;

    @Test
    void v03StderrTwinsDirectionOfPerplexityAndBiasAndNonFiniteScoresCounted() {
        EvalFileResult result = parse("pythia/160m_step0.json", V03);
        assertThat(result.format()).isEqualTo(EvalFormat.LM_EVAL_V03);
        assertThat(result.step()).isEqualTo(new StepOrigin(StepSource.MODEL_ARGS, 0, "revision=step0"));
        List<EvalPoint> points = points(result);
        assertThat(points).hasSize(5);
        EvalPoint ppl = point(points, "lambada_openai", "ppl");
        assertThat(ppl.value()).isEqualTo(3647245.6417574524);
        assertThat(ppl.stderr()).isEqualTo(369316.1236926213);
        assertThat(ppl.higherIsBetter()).isFalse();
        assertThat(ppl.n()).isNull(); // nothing is inferred from stderr
        EvalPoint acc = point(points, "lambada_openai", "acc");
        assertThat(acc.stderr()).isEqualTo(0.0); // a stderr of 0 is a number and is kept
        assertThat(acc.higherIsBetter()).isTrue();
        assertThat(point(points, "crows_pairs_english", "likelihood_difference").higherIsBetter()).isFalse();
        assertThat(point(points, "crows_pairs_english", "pct_stereotype").higherIsBetter()).isFalse();
        EvalPoint byte_ppl = point(points, "wikitext", "byte_perplexity");
        assertThat(byte_ppl.stderr()).isNull(); // NaN stderr dropped, the score kept
        assertThat(byte_ppl.higherIsBetter()).isFalse();
        assertThat(result.nonFinite()).isEqualTo(1); // word_perplexity NaN: counted, not sent
        assertThat(result.notes()).anyMatch(n -> n.contains("word_perplexity is NaN at step 0"));
        assertThat(result.notes()).anyMatch(n -> n.contains("1 non-finite score(s) not sent"));
    }

    private static final String V04 = """
            {
              "results": {
                "mmlu": {"acc,none": 0.25, "acc_stderr,none": 0.0036, "alias": "mmlu"},
                "mmlu_anatomy": {"alias": " - anatomy", "acc,none": 0.2, "acc_stderr,none": 0.0346},
                "gsm8k": {
                  "exact_match,strict-match": 0.0121, "exact_match_stderr,strict-match": 0.003,
                  "exact_match,flexible-extract": 0.0152, "exact_match_stderr,flexible-extract": "N/A",
                  "alias": "gsm8k"
                },
                "hellaswag": {"acc,none": 0.45, "acc_stderr,none": 0.005, "acc_norm,none": 0.59,
                              "acc_norm_stderr,none": 0.0049, "alias": "hellaswag"},
                "wikitext": {"word_perplexity,none": 17.5, "word_perplexity_stderr,none": "N/A", "alias": "wikitext"}
              },
              "groups": {"mmlu": {"acc,none": 0.25, "acc_stderr,none": 0.0036, "alias": "mmlu"}},
              "group_subtasks": {"mmlu": ["mmlu_anatomy"], "gsm8k": [], "hellaswag": [], "wikitext": []},
              "configs": {
                "hellaswag": {"task": "hellaswag", "metric_list": [
                    {"metric": "acc", "aggregation": "mean", "higher_is_better": true},
                    {"metric": "acc_norm", "aggregation": "mean", "higher_is_better": true}]},
                "wikitext": {"task": "wikitext", "metric_list": [{"metric": "word_perplexity", "higher_is_better": false}]}
              },
              "higher_is_better": {"gsm8k": {"exact_match": true}, "mmlu": {"acc": true}},
              "n-samples": {"mmlu_anatomy": {"original": 135, "effective": 135},
                            "gsm8k": {"original": 1319, "effective": 500},
                            "hellaswag": {"original": 10042, "effective": 10042}},
              "config": {"model": "hf", "model_args": "pretrained=out/checkpoint-1200,dtype=bfloat16", "batch_size": "64"},
              "date": 1713431480.1194944
            }
            """;

    @Test
    void v04FiltersNaStderrSamplesDirectionGroupsAndTheEvaluationDate() {
        EvalFileResult result = parse("out/checkpoint-1200/results_2024-04-18T10-11-20.json", V04);
        assertThat(result.format()).isEqualTo(EvalFormat.LM_EVAL_V04);
        assertThat(result.step().step()).isEqualTo(1200);
        assertThat(result.step().source()).isEqualTo(StepSource.MODEL_ARGS);
        List<EvalPoint> points = points(result);
        assertThat(points).extracting(p -> p.benchmark() + " " + p.metric()).containsExactlyInAnyOrder(
                "mmlu acc", "mmlu_anatomy acc", "gsm8k exact_match_strict-match",
                "gsm8k exact_match_flexible-extract", "hellaswag acc", "hellaswag acc_norm",
                "wikitext word_perplexity"); // the group once, although listed in results and groups
        assertThat(point(points, "gsm8k", "exact_match_flexible-extract").stderr()).isNull(); // "N/A"
        assertThat(point(points, "gsm8k", "exact_match_strict-match").stderr()).isEqualTo(0.003);
        assertThat(point(points, "gsm8k", "exact_match_strict-match").n()).isEqualTo(500); // effective, not original
        assertThat(point(points, "mmlu_anatomy", "acc").n()).isEqualTo(135);
        assertThat(point(points, "mmlu", "acc").n()).isNull();
        assertThat(point(points, "wikitext", "word_perplexity").higherIsBetter()).isFalse(); // from metric_list
        assertThat(point(points, "hellaswag", "acc_norm").timeMs()).isEqualTo(1_713_431_480_119L);
        assertThat(result.nonFinite()).isZero();
        assertThat(result.notes()).isEmpty();
    }

    private static final String BIGSCIENCE = """
            {
              "results": [
                {"task_name": "wino_bias_type1_pro", "prompt_name": "What does p stand for", "em": 0.4924,
                 "fixed_answer_choice_list": null, "dataset_path": "wino_bias", "dataset_name": "type1_pro",
                 "subset": null, "prompt_id": "1ab4e47e", "prompt_jinja": "{{tokens | join(\\" \\")}}",
                 "prompt_original_task": true, "comment": "", "em_stderr": 0.0251},
                {"task_name": "wino_bias_type1_pro", "prompt_name": "refers_to", "em": 0.0252,
                 "prompt_original_task": true, "em_stderr": 0.0078}
              ],
              "versions": {"wino_bias_type1_pro+What does p stand for": 0, "wino_bias_type1_pro+refers_to": 0},
              "table_results": {"wino_bias_type1_pro+refers_to": {"em": 0.0252, "em_stderr": 0.0078}},
              "config": {"model": "neox", "model_args": {"iteration": 137000, "train_iters": 143000,
                         "load": "/fsx/hyperion/pythia/ckpts/410m_deduped"}, "num_fewshot": 0}
            }
            """;

    @Test
    void bigScienceForkBenchmarkIsTaskPlusPromptAndTheStepIsTheNeoXIteration() {
        EvalFileResult result = parse("pythia-bias-winobias-410M/eval_results_02-16-2023-01-09-59.json", BIGSCIENCE);
        assertThat(result.format()).isEqualTo(EvalFormat.BIGSCIENCE);
        assertThat(result.step()).isEqualTo(new StepOrigin(StepSource.MODEL_ARGS, 137000, "config iteration=137000"));
        List<EvalPoint> points = points(result);
        assertThat(points).extracting(p -> p.benchmark() + " | " + p.metric() + " | " + p.value() + " | " + p.stderr())
                .containsExactlyInAnyOrder("wino_bias_type1_pro+What does p stand for | em | 0.4924 | 0.0251",
                        "wino_bias_type1_pro+refers_to | em | 0.0252 | 0.0078"); // table_results not doubled
    }

    @Test
    void stepPrecedenceIsFieldThenModelArgsThenPathThenFallbackAndDisagreementsAreSaid() {
        String withField = V03.replaceFirst("\\{", "{\"step\": 5,");
        EvalFileResult field = parse("run/160m_step7.json", withField);
        assertThat(field.step()).isEqualTo(new StepOrigin(StepSource.FIELD, 5, "step=5"));
        assertThat(field.notes()).anyMatch(n -> n.contains("disagrees with model_args (revision=step0 says 0)"))
                .anyMatch(n -> n.contains("path (file name 160m_step7.json says 7)"));
        assertThat(points(field)).allMatch(p -> p.step() == 5);

        String noModelStep = V03.replace("revision=step0", "revision=main");
        assertThat(parse("run/step_9/results.json", noModelStep).step())
                .isEqualTo(new StepOrigin(StepSource.PATH, 9, "directory step_9"));
        EvalFileResult fallback = parser.parse(RUN, "run/results.json", noModelStep, OptionalLong.of(11));
        assertThat(fallback.step()).isEqualTo(new StepOrigin(StepSource.FALLBACK, 11, "--step 11"));
        assertThat(points(fallback)).allMatch(p -> p.step() == 11);

        EvalFileResult none = parse("run/results.json", noModelStep);
        assertThat(none.failed()).isTrue();
        assertThat(none.records()).isEmpty();
        assertThat(none.notes().get(0)).contains("no step").contains("--step");
    }

    @Test
    void csvTablesWithQuotesAliasesNonFiniteValuesAndStepsFromColumnsOrPath() {
        String csv = """
                step,task,metric,score,stderr,n
                1000,arc_easy,acc,0.61,0.01,2376
                2000,"mmlu, stem",acc,0.3,,
                3000,arc_easy,acc,nan,0.01,2376
                ,arc_easy,acc,0.62,0.01,2376
                not,a,valid
                """;
        EvalFileResult result = parse("evals/checkpoint-4000/scores.csv", csv);
        assertThat(result.format()).isEqualTo(EvalFormat.CSV);
        assertThat(result.step()).isEqualTo(new StepOrigin(StepSource.FIELD, 1000, "column step"));
        List<EvalPoint> points = points(result);
        assertThat(points).extracting(p -> p.step() + " " + p.benchmark() + " " + p.value() + " " + p.n())
                .containsExactly("1000 arc_easy 0.61 2376", "2000 mmlu, stem 0.3 null",
                        "4000 arc_easy 0.62 2376"); // the row without a step takes the path's
        assertThat(result.nonFinite()).isEqualTo(1);
        assertThat(result.unparsedRows()).isEqualTo(1);
        assertThat(result.notes()).anyMatch(n -> n.contains("1 row(s) without a step took step 4000 from path"));

        EvalFileResult tsv = parse("t.tsv", "step\tbenchmark\tvalue\n10\tpiqa\t0.7\n");
        assertThat(points(tsv)).extracting(p -> p.benchmark() + " " + p.metric() + " " + p.value())
                .containsExactly("piqa acc 0.7"); // metric defaults as the contract says
    }

    @Test
    void jsonLinesAsPythonWritesThemIncludingNaN() {
        String lines = """
                {"run": "other", "step": 100, "benchmark": "arc_easy", "metric": "acc", "value": 0.5, "stderr": 0.01, "n": 2376, "seed": 3}
                {"step": 200, "benchmark": "arc_easy", "metric": "acc", "value": NaN}
                {"step": 300, "benchmark": "lambada", "metric": "ppl", "value": 12.5, "time": "2026-12-06T06:00:00Z"}
                this is not json
                """;
        EvalFileResult result = parse("x.jsonl", lines);
        assertThat(result.format()).isEqualTo(EvalFormat.JSON_LINES);
        List<EvalPoint> points = points(result);
        assertThat(points).hasSize(2);
        assertThat(points.get(0).run()).isEqualTo(RUN); // --run names the run
        assertThat(points.get(0).seed()).isEqualTo("3");
        assertThat(points.get(1).higherIsBetter()).isFalse();
        assertThat(points.get(1).timeMs()).isEqualTo(1_796_536_800_000L);
        assertThat(result.nonFinite()).isEqualTo(1);
        assertThat(result.unparsedRows()).isEqualTo(1);
    }

    @Test
    void filesThatAreNotResultsAreSkippedAndAHalfWrittenOneIsUnreadable() {
        assertThat(parse("ckpt/config.json", "{\"hidden_size\": 768, \"num_layers\": 12}").format())
                .isEqualTo(EvalFormat.NOT_RESULTS);
        assertThat(parse("out/samples_arc_easy_2024-01-01.jsonl",
                "{\"doc_id\": 0, \"target\": 1, \"resps\": [[\"a\"]]}\n{\"doc_id\": 1, \"target\": 0}\n").format())
                .isEqualTo(EvalFormat.NOT_RESULTS);
        assertThat(parse("notes.csv", "a,b\n1,2\n").format()).isEqualTo(EvalFormat.NOT_RESULTS);
        EvalFileResult half = parse("step_5.json", V03.substring(0, V03.length() / 2));
        assertThat(half.format()).isEqualTo(EvalFormat.UNREADABLE);
        assertThat(half.failed()).isTrue();
        assertThat(half.records()).isEmpty();
    }

    @Test
    void damagedFilesNeverThrowAndNeverYieldARecordTheContractRefuses() {
        java.util.Random random = new java.util.Random(16);
        String[] samples = {V03, V04, BIGSCIENCE, "step,task,value,stderr\n1,a,0.5,0.1\n2,b,nan,\n",
                "{\"step\": 1, \"benchmark\": \"a\", \"value\": 0.5}\n"
                        + "{\"step\": 2, \"benchmark\": \"b\", \"value\": 1}\n"};
        String alphabet = "{}[],:\"\\0123456789.eE+-NaInfity \n\tabc_,";
        int parsedWithRecords = 0;
        for (int i = 0; i < 3000; i++) {
            StringBuilder text = new StringBuilder(samples[random.nextInt(samples.length)]);
            int edits = 1 + random.nextInt(6);
            for (int e = 0; e < edits && text.length() > 0; e++) {
                int at = random.nextInt(text.length());
                switch (random.nextInt(4)) {
                    case 0 -> text.setLength(at); // cut short, as a file still being written
                    case 1 -> text.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
                    case 2 -> text.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
                    default -> text.deleteCharAt(at);
                }
            }
            String path = random.nextBoolean() ? "run/step_" + random.nextInt(1000) + "/r.json" : "r.json";
            EvalFileResult result = parser.parse(RUN, path, text.toString(), OptionalLong.empty());
            assertThat(result.format()).isNotNull();
            if (!result.records().isEmpty()) {
                parsedWithRecords++;
                points(result); // every record is valid contract input
            }
        }
        assertThat(parsedWithRecords).as("some damaged files still carry readable scores").isPositive();
    }

    @Test
    void recordsAreOneJsonLineWithTheContractFieldNames() throws Exception {
        ContractRecord record = parse("step_200.json", V04).records().get(0);
        assertThat(record.json()).doesNotContain("\n");
        JsonNode tree = Json.MAPPER.readTree(record.json());
        assertThat(tree.fieldNames()).toIterable().containsSubsequence("run", "step", "benchmark", "metric", "value");
    }
}
