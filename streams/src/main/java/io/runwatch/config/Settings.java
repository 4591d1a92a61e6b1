package io.runwatch.config;

import io.runwatch.core.evals.EvalSettings;
import io.runwatch.core.liveness.LivenessSettings;
import io.runwatch.core.training.TrainingSettings;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Every runwatch setting, defined once with key, default, range and doc. Values come from (lowest to
 * highest precedence) the defaults, a properties file ({@code --config}), the environment
 * ({@code RUNWATCH_...}) and explicit overrides (command-line flags). The README's settings table is
 * checked against {@link #markdownTable()} by a test.
 */
public final class Settings {
    private static final List<Setting> DEFINITIONS = new ArrayList<>();

    private static Setting define(String key, Setting.Type type, Object defaultValue, double min, double max,
                                  String doc) {
        Setting setting = new Setting(key, type, String.valueOf(defaultValue), min, max, doc);
        setting.parse(setting.defaultValue()); // a default outside its own range is a bug
        DEFINITIONS.add(setting);
        return setting;
    }

    private static Setting string(String key, String defaultValue, String doc) {
        return define(key, Setting.Type.STRING, defaultValue, 0, 0, doc);
    }

    private static Setting integer(String key, int defaultValue, int min, int max, String doc) {
        return define(key, Setting.Type.INT, defaultValue, min, max, doc);
    }

    private static Setting longValue(String key, long defaultValue, long min, long max, String doc) {
        return define(key, Setting.Type.LONG, defaultValue, min, max, doc);
    }

    private static Setting decimal(String key, double defaultValue, double min, double max, String doc) {
        return define(key, Setting.Type.DOUBLE, defaultValue, min, max, doc);
    }

    private static Setting bool(String key, boolean defaultValue, String doc) {
        return define(key, Setting.Type.BOOLEAN, defaultValue, 0, 0, doc);
    }

    // ---- application and Kafka ---------------------------------------------------------------------
    public static final Setting APPLICATION_ID = string("application.id", "runwatch",
            "Kafka Streams application id: instances with the same id share the work.");
    public static final Setting TOPIC_PARTITIONS = integer("topics.partitions", 1, 1, 10_000,
            "Partitions of the topics runwatch creates when they are missing.");
    public static final Setting TOPIC_REPLICATION = integer("topics.replication.factor", 1, 1, 32,
            "Replication factor of the topics runwatch creates.");
    public static final Setting MAX_RECORD_BYTES = integer("input.max.record.bytes", 1_048_576, 64, 100_000_000,
            "Input records larger than this go to the dead-letter topic.");
    public static final Setting COMMIT_INTERVAL_MS = longValue("streams.commit.interval.ms", 100, 1, 600_000,
            "How often Streams commits its exactly-once transaction: the latency floor of an alert.");
    public static final Setting RUNBOOK_BASE_URL = string("alerts.runbook.base.url", "alerts/runbook.md",
            "Prefix of the runbook link in every alert; the alert type is appended as #anchor.");

    // ---- metrics ---------------------------------------------------------------------------------------
    public static final Setting RUN_RETENTION_S = longValue("metrics.run.retention.s", 3_600, 1, 31_536_000,
            "A run's per-run series are removed this long after its end event or its last record.");
    public static final Setting TICK_INTERVAL_MS = longValue("liveness.tick.interval.ms", 5_000, 100, 3_600_000,
            "How often silence is checked (stalls) and idle runs' series are expired.");

    // ---- training health (issue: loss spikes, divergence, precursors) ------------------------------
    public static final Setting TRAINING_WARMUP_STEPS = longValue("training.warmup.steps", 50, 0, 10_000_000,
            "Logged steps before any statistical training alert; non-finite values always page.");

    // ---- checkpoint evaluations ------------------------------------------------------------------------
    public static final Setting EVAL_KENDALL_WINDOW = integer("evals.kendall.window", 10, 3, 1_000,
            "Checkpoints in the rolling Kendall tau gauge: 10 spans a recent stretch yet gives tau steps of "
                    + "0.02, fine enough to see a plateau turn.");
    public static final Setting EVAL_RETAINED_CHECKPOINTS = integer("evals.retained.checkpoints", 32, 8, 1_000,
            "Newest checkpoints kept per trajectory; older ones are compressed (they still count in the "
                    + "whole-run Kendall tau). Results for a checkpoint older than these are dropped as too late.");
    public static final Setting EVAL_LEVEL_CHECKPOINTS = integer("evals.level.checkpoints", 4, 1, 100,
            "Checkpoints averaged into a level, the reference a drop is measured from: a single lucky "
                    + "evaluation must not set the bar, yet 4 checkpoints still follow a rising curve.");
    public static final Setting EVAL_LOOKBACK_CHECKPOINTS = integer("evals.lookback.checkpoints", 24, 1, 1_000,
            "How far back the recent best level is searched: long enough to see a slow decline (a few "
                    + "noise units over ~20 checkpoints), short enough to forget the early run.");
    public static final Setting EVAL_NOISE_WINDOW = integer("evals.noise.window", 12, 6, 1_000,
            "Checkpoints the empirical noise (spread around the local trend) is estimated from.");
    public static final Setting EVAL_MIN_CHECKPOINTS = integer("evals.regression.min.checkpoints", 6, 2, 1_000,
            "Checkpoints before the first regression test: fewer give no usable level or noise estimate.");
    public static final Setting EVAL_ALPHA = decimal("evals.regression.alpha", 0.01, 1e-9, 0.5,
            "Chance that a trajectory without any real drop raises eval_regression over its whole life; the "
                    + "single-checkpoint z threshold grows with the checkpoints tested (4.1 at 200), so a long run does not "
                    + "alert on routine 3-sigma wobbles.");
    public static final Setting EVAL_CONFIRM = bool("evals.regression.confirm", true,
            "Also fire when two consecutive checkpoints both fall past a lower threshold (2.6 at 200 "
                    + "checkpoints). On, because most real regressions persist: it finds moderate drops one "
                    + "checkpoint later at the same false-alarm rate, while overwhelming drops still fire at once.");
    public static final Setting EVAL_RESOLVE_Z = decimal("evals.regression.resolve.z", 1.0, 0, 10,
            "An eval_regression resolves when the score is back within this many noise units of the level "
                    + "before the drop.");
    public static final Setting EVAL_MOVED_Z = decimal("evals.moved.z", 2.0, 0, 100,
            "A checkpoint this many noise units below its level counts as moved, when an alert lists which "
                    + "other benchmarks of the run fell at the same checkpoint.");
    public static final Setting EVAL_NOISY_MIN_CHECKPOINTS = integer("evals.noisy.min.checkpoints", 8, 3, 1_000,
            "Checkpoints before a benchmark may be classed as noise (eval_noisy).");
    public static final Setting EVAL_NOISY_MAX_TAU = decimal("evals.noisy.max.tau", 0.3, 0, 1,
            "A benchmark at chance whose whole-run |Kendall tau| is below this is classed as noise: 0.3 is "
                    + "about two standard errors of tau under no trend at 27 checkpoints.");
    public static final Setting EVAL_NOISE_FLOOR = decimal("evals.noise.floor.relative", 0.002, 0, 1,
            "The noise unit is at least this fraction of the score: losses and bits per byte are smooth, and a "
                    + "0.5% wiggle is not worth a ticket even when it is many of their tiny noise units.");

    // ---- liveness ------------------------------------------------------------------------------------------
    public static final Setting STALL_FLOOR_S = decimal("liveness.stall.floor.s", 120, 1, 86_400,
            "A learned stall deadline is never shorter than this.");

    private final Map<String, String> values;

    private Settings(Map<String, String> values) {
        this.values = values;
    }

    public static List<Setting> definitions() {
        return Collections.unmodifiableList(DEFINITIONS);
    }

    public static Settings defaults() {
        return load(new Properties(), Map.of(), Map.of());
    }

    /**
     * Resolves every setting. Unknown keys in the file are rejected (a typo must not silently do nothing).
     *
     * @param file      properties from {@code --config}; may be empty
     * @param env       the process environment
     * @param overrides key → value from explicit flags
     */
    public static Settings load(Properties file, Map<String, String> env, Map<String, String> overrides) {
        Map<String, String> resolved = new LinkedHashMap<>();
        for (String key : file.stringPropertyNames()) {
            if (find(key) == null && !key.startsWith("kafka.")) {
                throw new IllegalArgumentException("unknown setting " + key + " in config file");
            }
        }
        for (Setting setting : DEFINITIONS) {
            String value = setting.defaultValue();
            value = file.getProperty(setting.key(), value);
            value = env.getOrDefault(setting.envName(), value);
            value = overrides.getOrDefault(setting.key(), value);
            setting.parse(value);
            resolved.put(setting.key(), value);
        }
        return new Settings(resolved);
    }

    private static Setting find(String key) {
        return DEFINITIONS.stream().filter(s -> s.key().equals(key)).findFirst().orElse(null);
    }

    public Settings with(Setting setting, Object value) {
        Map<String, String> copy = new LinkedHashMap<>(values);
        setting.parse(String.valueOf(value));
        copy.put(setting.key(), String.valueOf(value));
        return new Settings(copy);
    }

    public String string(Setting s) {
        return (String) s.parse(values.get(s.key()));
    }

    public int integer(Setting s) {
        return ((Number) s.parse(values.get(s.key()))).intValue();
    }

    public long longValue(Setting s) {
        return ((Number) s.parse(values.get(s.key()))).longValue();
    }

    public double decimal(Setting s) {
        return ((Number) s.parse(values.get(s.key()))).doubleValue();
    }

    public boolean bool(Setting s) {
        return (Boolean) s.parse(values.get(s.key()));
    }

    public TrainingSettings training() {
        return new TrainingSettings(longValue(TRAINING_WARMUP_STEPS));
    }

    public EvalSettings evals() {
        return new EvalSettings(integer(EVAL_KENDALL_WINDOW), integer(EVAL_RETAINED_CHECKPOINTS),
                integer(EVAL_LEVEL_CHECKPOINTS), integer(EVAL_LOOKBACK_CHECKPOINTS), integer(EVAL_NOISE_WINDOW),
                integer(EVAL_MIN_CHECKPOINTS), decimal(EVAL_ALPHA), bool(EVAL_CONFIRM), decimal(EVAL_RESOLVE_Z),
                decimal(EVAL_MOVED_Z), integer(EVAL_NOISY_MIN_CHECKPOINTS), decimal(EVAL_NOISY_MAX_TAU),
                decimal(EVAL_NOISE_FLOOR));
    }

    public LivenessSettings liveness() {
        return new LivenessSettings(decimal(STALL_FLOOR_S));
    }

    /** The README's settings table. */
    public static String markdownTable() {
        StringBuilder table = new StringBuilder("| key | environment | default | range | meaning |\n");
        table.append("|---|---|---|---|---|\n");
        for (Setting s : DEFINITIONS) {
            table.append("| `").append(s.key()).append("` | `").append(s.envName()).append("` | `")
                    .append(s.defaultValue()).append("` | ").append(s.range()).append(" | ")
                    .append(s.doc()).append(" |\n");
        }
        return table.toString();
    }
}
