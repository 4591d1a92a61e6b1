package io.runwatch.ingest;

import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code --format} names of {@code runwatch tail} and the one place that makes their parsers. Also the format
 * detector behind {@code auto}: each format's signature, a line shape no other trainer prints.
 */
public final class TrainerLogFormats {
    /** Every name {@link #create} accepts, in the order the help text lists them. */
    public static final List<String> NAMES = List.of("auto", "megatron", "nemo", "hf", "hf-state", "litgpt",
            "mmengine", "nanogpt", "llmc", "modded-nanogpt", "torchtitan", "fairseq", "olmo", "nanotron", "jsonl",
            "kv");

    /** Other names people use for the same formats. */
    private static final Map<String, String> ALIASES = Map.ofEntries(Map.entry("megatron-lm", "megatron"),
            Map.entry("megatron-deepspeed", "megatron"), Map.entry("neox", "megatron"),
            Map.entry("gpt-neox", "megatron"), Map.entry("lightning", "nemo"), Map.entry("transformers", "hf"),
            Map.entry("trainer_state", "hf-state"), Map.entry("hfstate", "hf-state"), Map.entry("lit-gpt", "litgpt"),
            Map.entry("xtuner", "mmengine"), Map.entry("llm.c", "llmc"), Map.entry("mng", "modded-nanogpt"),
            Map.entry("metaseq", "fairseq"), Map.entry("json", "jsonl"));

    private static final Pattern HF_DICT = Pattern.compile("\\{'(?:loss|eval_loss|train_runtime)': ");
    private static final Pattern LITGPT = Pattern.compile(
            "(?:^|\\|\\s*)iter \\d+ step \\d+(?:\\s*\\||: loss )|^iter \\d+: (?:val )?loss \\S+, (?:iter |val )?time: ");
    private static final Pattern MNG = Pattern.compile("^step:\\d+/\\d+[ ,].*\\b(?:train_loss|val_loss|avg_train_loss):");
    private static final Pattern NEMO_TEXT = Pattern.compile("^Training epoch \\d+, iteration \\d+/\\d+ \\|");

    private TrainerLogFormats() {
    }

    public static TrainerLogParser create(String format, String run, Map<String, String> kvMap) {
        return create(format, run, kvMap, ZoneOffset.UTC);
    }

    /**
     * A parser for one followed file.
     *
     * @param format a name of {@link #NAMES} (or an alias such as {@code neox}, {@code metaseq})
     * @param run    the run id records get (jsonl: only records without their own)
     * @param kvMap  for {@code kv}: contract field → the name the trainer prints it under; null or empty otherwise
     * @param zone   the zone of log timestamps that carry none (most): the machine that wrote the log
     * @throws IllegalArgumentException for an unknown format, with the list of known ones
     */
    public static TrainerLogParser create(String format, String run, Map<String, String> kvMap, ZoneId zone) {
        String name = canonical(format);
        return switch (name) {
            case "auto" -> new AutoParser(run, zone);
            case "megatron" -> new MegatronParser(run, zone);
            case "nemo" -> new NemoParser(run, zone);
            case "hf" -> new HfStdoutParser(run, zone);
            case "hf-state" -> new HfStateParser(run);
            case "litgpt" -> new LitGptParser(run, zone);
            case "mmengine" -> new MmengineParser(run, zone);
            case "nanogpt" -> new NanoGptParser(run, zone);
            case "llmc" -> new LlmcParser(run, zone);
            case "modded-nanogpt" -> new ModdedNanoGptParser(run, zone);
            case "torchtitan" -> new TorchtitanParser(run, zone);
            case "fairseq" -> new FairseqParser(run, zone);
            case "olmo" -> new OlmoParser(run, zone);
            case "nanotron" -> new NanotronParser(run, zone);
            case "jsonl" -> new JsonlParser(run);
            case "kv" -> new KvParser(run, zone, kvMap);
            default -> throw new IllegalArgumentException("unknown format " + format + "; known: " + NAMES);
        };
    }

    /** The format name for {@code format} or one of its aliases, lower-cased; unknown names are returned as given. */
    public static String canonical(String format) {
        String name = format == null ? "" : format.trim().toLowerCase(Locale.ROOT);
        return ALIASES.getOrDefault(name, name);
    }

    /**
     * Parses {@code --map loss=train/CE,step=iter}: contract field → the name in the log.
     *
     * @throws IllegalArgumentException for an entry that is not {@code field=name}
     */
    public static Map<String, String> parseMap(String spec) {
        Map<String, String> map = new LinkedHashMap<>();
        if (spec == null || spec.isBlank()) {
            return map;
        }
        for (String entry : spec.split(",")) {
            int eq = entry.indexOf('=');
            if (eq <= 0 || eq == entry.length() - 1) {
                throw new IllegalArgumentException("--map entry must be field=name, got '" + entry + "'");
            }
            map.put(entry.substring(0, eq).trim(), entry.substring(eq + 1).trim());
        }
        return map;
    }

    /**
     * The format a line clearly belongs to, or null. {@code line} has its launcher prefix and ANSI codes removed.
     * Order matters where shapes are related: NeMo 2's text logger also says {@code iteration N/M |}.
     */
    static String detect(String line) {
        if (line.length() < 4) {
            return null;
        }
        if (HfTrainerState.looksLikeTrainerState(line)) {
            return "hf-state";
        }
        if (line.startsWith("{\"") && (line.contains("\"step\"") || line.contains("\"type\""))) {
            return "jsonl";
        }
        if (line.contains("reduced_train_loss") || NEMO_TEXT.matcher(line).find()
                || line.contains("global_step=") && line.contains("%|")) {
            return "nemo";
        }
        if (line.contains("| train_inner |") || line.contains("[train_inner][") || line.contains("| valid | {")) {
            return "fairseq";
        }
        if (NanotronParser.ITERATION.matcher(line).find()) {
            return "nanotron";
        }
        if (line.contains("iteration") && MegatronParser.ITERATION.matcher(line).find()) {
            return "megatron";
        }
        if (line.contains("step") && TorchtitanParser.STEP.matcher(line).find()) {
            return "torchtitan";
        }
        if (line.contains("[step=") && OlmoParser.HEADER.matcher(line).find()) {
            return "olmo";
        }
        if (line.contains("(train)") && MmengineParser.TRAIN.matcher(line).find()) {
            return "mmengine";
        }
        if (line.contains("iter ") && LITGPT.matcher(line).find()) {
            return "litgpt";
        }
        if (NanoGptParser.ITER.matcher(line).find() && !line.contains("time:")
                || NanoGptParser.EVAL.matcher(line).find()) {
            return "nanogpt";
        }
        if (LlmcParser.MAIN_LOG.matcher(line).find() || LlmcParser.STDOUT.matcher(line).find()
                || LlmcParser.OLD_STDOUT.matcher(line).find()) {
            return "llmc";
        }
        if (line.startsWith("step:") && MNG.matcher(line).find()) {
            return "modded-nanogpt";
        }
        if (line.contains("{'") && HF_DICT.matcher(line).find()) {
            return "hf";
        }
        return null;
    }
}
