package io.runwatch.config;

import io.runwatch.core.evals.EvalSettings;
import io.runwatch.core.guard.StepGuardSettings;
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
    public static final Setting DEADLETTER_MAX_RECORD_BYTES = integer("deadletter.max.record.bytes", 65_536, 16_384,
            1_000_000, "Largest dead-letter record runwatch writes: refused payloads are cut to a prefix (with their "
                    + "size and SHA-256) to fit. Must stay below the producer's max.request.size (1 MiB by default, "
                    + "hence the 1,000,000 ceiling), else the send fails; 64 KiB keeps a readable prefix of any real "
                    + "record while a flood of big bad records costs the dead-letter topic 16x less than the input.");
    public static final Setting COMMIT_INTERVAL_MS = longValue("streams.commit.interval.ms", 100, 1, 600_000,
            "How often Streams commits its exactly-once transaction: the latency floor of an alert.");
    // Scale-out: passed to Kafka Streams by app/ScaleOutProperties; env twins RUNWATCH_STREAMS_... suit a pod spec.
    public static final Setting STREAMS_THREADS = integer("streams.num.stream.threads", 1, 1, 64,
            "Stream threads per instance, each running its own share of the partitions. One: on 2 cores two "
                    + "threads measured slower (74k vs 96k records/s under exactly-once); raise it only with "
                    + "cores to match, or rather add instances.");
    public static final Setting STREAMS_STANDBYS = integer("streams.num.standby.replicas", 0, 0, 10,
            "Warm copies of each partition's state kept on other instances, so that the runs of a failed "
                    + "instance resume in seconds instead of after a changelog restore. 0 by default (one "
                    + "instance has nowhere to keep a copy); 1 in production (the Kubernetes prod overlay).");
    public static final Setting STREAMS_APPLICATION_SERVER = string("streams.application.server", "",
            "host:port where the other instances reach this one's HTTP server (Kafka Streams "
                    + "application.server, for queries forwarded to the owner of a run); empty: not advertised. "
                    + "On Kubernetes the pod's stable name under the headless service.");
    public static final Setting STREAMS_CLIENT_RACK = string("streams.client.rack", "",
            "Zone (or rack) this instance runs in: its consumers fetch from a replica in the same zone "
                    + "(client.rack) and standby copies go to instances in other zones "
                    + "(rack.aware.assignment.tags), so one zone's outage loses no warm state; empty: not "
                    + "rack-aware.");
    // Queries (GET /runs, /runs/{id}, /alerts): io.runwatch.query.
    public static final Setting QUERY_FORWARD_TIMEOUT_MS = longValue("query.forward.timeout.ms", 3_000, 100, 60_000,
            "How long a query waits for another instance (the owner of a run, or each instance of a /runs fan-out) "
                    + "before answering without it: a forwarded query is one store read on the peer (milliseconds), "
                    + "so 3 s only passes for a peer that is gone or stuck, and stays well inside the 30 s a "
                    + "Grafana data source waits. A run then falls back to a standby copy (flagged stale) or 503; a "
                    + "list is answered flagged incomplete.");
    public static final Setting QUERY_RETRY_AFTER_S = integer("query.retry.after.s", 2, 1, 300,
            "Retry-After of a 503 answered while a run's partition has no queryable owner (a rebalance moving it): "
                    + "a standby takes a partition over within seconds of a clean shutdown.");
    public static final Setting RUNBOOK_BASE_URL = string("alerts.runbook.base.url", "alerts/runbook.md",
            "Prefix of the runbook link in every alert; the alert type is appended as #anchor.");

    public static final Setting ALERT_COOLDOWN_STEPS = longValue("alerts.cooldown.steps", 100, 0, 100_000_000,
            "After a ticket resolves, a new ticket of the same type and subject starting within this many steps "
                    + "is held back, so a flapping signal does not re-open tickets. Counted in steps, not time, "
                    + "so a backtest behaves as live. Pages and notices are never held.");

    // ---- metrics ---------------------------------------------------------------------------------------
    public static final Setting RUN_RETENTION_S = longValue("metrics.run.retention.s", 3_600, 1, 31_536_000,
            "A run's evaluation series are removed this long after its last evaluation, and an ended run's "
                    + "detector state this long after its end event; its training series go sooner "
                    + "(metrics.run.finished.retention.s, metrics.run.idle.retention.s), never later than this.");
    public static final Setting STATE_RETENTION_S = longValue("state.run.retention.s", 1_209_600, 60, 315_360_000,
            "Detector state of a run that went silent without an end event, and the alert memory of a run with "
                    + "nothing open, is dropped after this long (14 days: long enough for any resumption, short "
                    + "enough that abandoned runs do not pile up).");
    public static final Setting ALERT_MIN_VISIBLE_S = longValue("metrics.alert.min.visible.s", 30, 0, 3_600,
            "A closed episode's runwatch_alert_active series stays this long (wall time) so that one opening and "
                    + "closing between two scrapes still reaches Prometheus; at least two scrape intervals.");
    public static final Setting TICK_INTERVAL_MS = longValue("liveness.tick.interval.ms", 5_000, 100, 3_600_000,
            "How often silence is checked (stalls) and idle runs' series are expired.");
    public static final Setting TICK_MAX_DUE_RUNS = integer("liveness.tick.max.due.runs", 1_000, 1, 10_000_000,
            "Runs a tick judges at most (live): a tick reads only the runs due (a silence deadline passed, a "
                    + "storm's quiet time, an expiry), each a store read and decode of ~50-80 us, and no record "
                    + "is processed meanwhile. When more are due (every run at once after downtime) the rest follow "
                    + "in slices 100 ms apart, records in between: 1,000 keeps a slice under ~0.1 s, below the "
                    + "alert-latency budget, and still judges 100,000 due runs in well under a minute. A backtest "
                    + "judges every due run at each tick (nothing waits on a replay).");
    // Per-run series bounds (issue #12: 100,000 live runs, /metrics under 1 s). Each caps the training-side series
    // of a run; a run's alert series are not touched by them and stay while an episode is open.
    public static final Setting METRICS_RUN_FINISHED_S = longValue("metrics.run.finished.retention.s", 300, 1,
            31_536_000, "A run's training series (step values, groups, loss-spike, skipped-step and liveness series) "
                    + "stop being exported this long after its end event (or after metrics.run.retention.s if "
                    + "shorter). Five minutes: several scrapes at any usual interval (15-60 s) store the final "
                    + "values, after which the series only cost scrape time; dashboards read the history from "
                    + "Prometheus. Its open alerts stay until they resolve.");
    public static final Setting METRICS_RUN_IDLE_S = longValue("metrics.run.idle.retention.s", 1_800, 1,
            31_536_000, "A run's training series stop being exported this long after its last record (or after "
                    + "metrics.run.retention.s if shorter); its next record brings them back. 30 minutes: longer "
                    + "than the stall pager's startup and checkpoint graces (liveness.stall.startup.grace.s, "
                    + "liveness.stall.checkpoint.grace.s), so a run that is only pausing keeps its series, while a "
                    + "run silent for longer has paged stall (that alert's series stays until it resolves) or is "
                    + "gone. Crashed and abandoned runs no longer hold series for an hour.");
    public static final Setting METRICS_RUN_MAX_GROUPS = integer("metrics.run.max.groups", 8, 0, 10_000,
            "Parameter groups of a run exported as runwatch_group_* series (two each); a run's later groups are "
                    + "still checked by the detectors but not exported, and counted in "
                    + "runwatch_series_dropped_total{reason=\"max_groups\"}. Eight covers the usual coarse split "
                    + "(embeddings, attention, MLP, norms, head) with room; per-layer logging (32-128 groups) "
                    + "would make one run cost as many series as 4-15 ordinary runs (~17 series each).");
    public static final Setting STATE_CACHE_MAX_RUNS = integer("state.cache.max.runs", 10_000, 1, 10_000_000,
            "Runs whose detector state each store of each task keeps deserialized in memory (least recently used "
                    + "leave first; state is written to the store once per commit, not per record). A run's "
                    + "training state is a few KB of heap: 10,000 keeps a 1,000-run fleet entirely in memory and "
                    + "bounds 100,000 runs to tens of MB per store, at the cost of a RocksDB read and decode for a "
                    + "run not seen recently.");

    // ---- runwatch's own health (/healthz, /readyz) ------------------------------------------------
    public static final Setting HEALTH_STREAMS_GRACE_S = longValue("health.streams.not.running.grace.s", 60, 1,
            86_400, "Seconds Kafka Streams may be out of RUNNING (starting, rebalancing, restoring) before /readyz "
                    + "says not ready: a rebalance takes a few seconds and a restore after a move tens of "
                    + "seconds, while the 45-88 s pause after a crash must show.");
    public static final Setting HEALTH_BROKER_UNREACHABLE_S = longValue("health.broker.unreachable.s", 15, 1, 3_600,
            "Seconds without a successful describeCluster (probed every 2 s, 3 s timeout) before /readyz says "
                    + "not ready: one lost probe or a leader election (a few seconds) must not flap readiness, "
                    + "yet an outage shows within half a minute.");
    public static final Setting HEALTH_THREAD_REPLACEMENTS_MAX = integer("health.thread.replacements.max", 1, 0,
            1_000, "Stream threads replaced after an uncaught exception within the window beyond which /readyz "
                    + "says not ready: a broker outage was measured to cost one replacement (a transaction that "
                    + "timed out), a second within the window is a loop that stops runs from being watched (each "
                    + "turn of a loop takes about a 45 s session timeout).");
    public static final Setting HEALTH_THREAD_REPLACEMENTS_WINDOW_S = longValue(
            "health.thread.replacements.window.s", 600, 10, 86_400,
            "Window of health.thread.replacements.max: ten minutes spans several death loops of a thread that "
                    + "dies on the same record (each takes seconds to minutes) and forgets an old incident.");
    public static final Setting HEALTH_STUCK_PARTITION_S = longValue("health.partition.stuck.s", 120, 5, 86_400,
            "Seconds an assigned input partition's committed offset may stay put while records wait behind it "
                    + "before /readyz says not ready: commits happen every 100 ms under load, so two minutes "
                    + "without one is a partition that stopped, not a slow one.");
    public static final Setting HEALTH_PUNCTUATOR_STALE_S = longValue("health.punctuator.stale.s", 60, 5, 86_400,
            "Seconds without a wall-clock punctuation (stall checks, expiry; every liveness.tick.interval.ms) "
                    + "while tasks are assigned before /readyz says not ready: twelve missed ticks means stalls "
                    + "are no longer being checked.");
    public static final Setting HEALTH_PUNCTUATOR_WEDGED_S = longValue("health.punctuator.wedged.s", 600, 10,
            86_400, "Seconds without a punctuation, while the broker is reachable and tasks are assigned, after "
                    + "which /healthz says the process is wedged and should be restarted: longer than any "
                    + "transaction or restore timeout (60 s and 300 s by default), so a restart is the only cure.");

    // ---- training health (issue: loss spikes, divergence, precursors) ------------------------------
    public static final Setting TRAINING_WARMUP_STEPS = longValue("training.warmup.steps", 50, 0, 10_000_000,
            "Logged steps before any statistical training alert (robust statistics need ~50 points to mean "
                    + "something); non-finite values always page.");
    public static final Setting TRAINING_SPIKE_ENTER_Z = decimal("training.spike.enter.z", 3.0, 1, 100,
            "Robust z of the log-loss over the run's own baseline that opens a candidate spike (and freezes "
                    + "the baseline for it).");
    public static final Setting TRAINING_SPIKE_CONFIRM_Z = decimal("training.spike.confirm.z", 6.0, 1, 100,
            "A spike is confirmed after two logged steps both this many sigmas up (else after three over the "
                    + "entry z); a lone point this high is a bad batch, counted as info. Real logs show lone "
                    + "outliers up to z=20 but no two in a row above 5.");
    public static final Setting TRAINING_SPIKE_MIN_RISE = decimal("training.spike.min.rise", 0.04, 0, 10,
            "Minimum relative loss rise of a spike (0.04 = 4%): data-mix level shifts of a few percent are "
                    + "normal and must not ticket; lower it for runs with very smooth loss.");
    // Spikes that take long to come back (issue 13): a spike pages on progress, not on a clock.
    public static final Setting TRAINING_RECOVERY_WINDOW_STEPS = longValue("training.recovery.window.steps", 400, 20,
            1_000_000, "Recovery horizon in logged steps: an open spike stays a ticket while the loss falls back "
                    + "toward its pre-spike trend fast enough to get there within this many logged steps at its "
                    + "current rate and no more than 4 times slower (relative to the distance left) than it came "
                    + "down earlier in the episode (both judged with 2.5 standard errors in its favour); slower "
                    + "than that, or rising again, it pages as divergence. The slowest benign recoveries in the literature take 100-300 "
                    + "logged steps (Molybog et al. 2304.09871; a linear one of 300 steps never needs more than "
                    + "300 at its rate), so 400 keeps a margin while a plateau pages within a few dozen steps.");
    public static final Setting TRAINING_RECOVERY_PROGRESS_STEPS = longValue("training.recovery.progress.steps", 20,
            10, 1_000_000, "Logged steps after a spike's onset before its progress back is judged (and at least 8 "
                    + "after its peak): past the longest benign rise (training.spike.max.rise.steps) plus a hold "
                    + "at the top of a few steps (BigScience tr8b-104B held its top for five).");
    public static final Setting TRAINING_SPIKE_MAX_RISE_STEPS = longValue("training.spike.max.rise.steps", 12, 1,
            1_000_000, "Longest rise of a benign spike in logged steps: a loss still rising steadily (and not "
                    + "slowing down) 4 logged steps after this pages as divergence at once. Adam-instability "
                    + "spikes rise over several to ~10 logged steps (Molybog et al.), BLOOM-176B's over 4.");
    public static final Setting TRAINING_DIVERGENCE_FAST_RISE = decimal("training.divergence.fast.rise", 3.0, 0.1,
            1e6, "A spike this far over its pre-spike level (3.0 = x4, median of three logged steps, so one bad "
                    + "batch cannot) pages at once: beyond any spike that recovered in the literature (BLOOM-176B "
                    + "x2.3, BigScience 104B x2.5, tr8b-104B x1.6).");
    public static final Setting TRAINING_RECOVERY_NOISE_Z = decimal("training.recovery.noise.z", 3.0, 0.5, 100,
            "Once progress back is judged, a loss within this many of the run's own noise sigmas (per logged "
                    + "step, measured before the spike) of its pre-spike trend, the fit with 2.5 standard errors "
                    + "against it, has recovered; a loss that stopped "
                    + "coming back further up is a plateau and pages. In units of the run's noise, not a fixed "
                    + "percentage: 3 sigma is the band a plot of the loss shows, and leaves room for the error of "
                    + "the pre-spike trend extrapolated over a long recovery (2 gave one more false page in 512 "
                    + "slow recoveries, same recall).");
    public static final Setting TRAINING_SPIKE_CUMULATIVE_Z = decimal("training.spike.cumulative.z", 12.0, 1, 1000,
            "Evidence a slow rise needs to ticket as a spike: the sum of its residual z-scores (each less 0.5, "
                    + "at most 3, so two noise outliers cannot carry it) against the baseline frozen where they turned positive, with the mean "
                    + "of its newest 4 points the minimum rise up, plus one standard error and half the drop the "
                    + "pre-rise slope extrapolates (the doubt of that slope). Catches spikes of +5-10% "
                    + "rising over 4-12 logged steps in 0.7-1% noise, which the baseline's trend absorbs before "
                    + "two points stand the minimum rise over it (issue 13). Measured over 8 seeds: 6, 12 and 24 "
                    + "ticket the same synthetic spikes, 6 also two real logs; 12 is the midpoint of that margin.");
    public static final Setting TRAINING_SLOW_DIVERGENCE_RISE = decimal("training.divergence.slow.rise", 0.10,
            0.01, 10, "Rise of the smoothed loss over its best level since warm-up that pages as slow divergence "
                    + "(real runs wander up to ~5% on long plateaus).");
    public static final Setting TRAINING_SPIKE_RATE_TICKET = decimal("training.spike.rate.ticket.per1000", 20, 0.1,
            1000, "One-step loss outliers per 1000 logged steps (recent) above which a rising bad-batch rate "
                    + "tickets; healthy public runs stay below 5.");
    public static final Setting TRAINING_GRAD_SPIKE_Z = decimal("training.grad.spike.z", 6.0, 1, 100,
            "Robust z of the log gradient norm over its recent level that counts as a gradient-norm jump "
                    + "(gradient norms are heavy-tailed; ZClip uses 2.5 for clipping, far too low to alert on).");
    public static final Setting TRAINING_GRAD_PERSIST_STEPS = longValue("training.grad.persist.steps", 5, 1,
            1_000_000, "Logged steps a gradient-norm jump must last to ticket when the loss has not spiked; "
                    + "shorter jumps are info.");
    public static final Setting TRAINING_PRECURSOR_COLLAPSE_DECADES = decimal("training.precursor.collapse.decades",
            1.0, 0.1, 20, "Decades a parameter group's gradient norm must fall below its usual level to warn of "
                    + "Adam instability (one decade: early enough to act, far beyond the normal decline).");
    public static final Setting TRAINING_PRECURSOR_UPDATE_RMS = decimal("training.precursor.update.rms", 0.8, 0.05,
            10, "Smoothed update RMS over learning rate of a group at which Adam's updates count as sign-like "
                    + "(healthy Adam sits around 0.2-0.5; pure sign updates give 1).");
    public static final Setting REORDER_TOLERANCE_STEPS = longValue("input.reorder.tolerance.steps", 5,
            0, 1_000_000, "A step at most this many logging intervals behind the newest is a late record and is "
                    + "dropped by the training and liveness detectors; further back it is a restart.");
    public static final Setting STEP_JUMP_FACTOR = decimal("input.step.jump.factor", 100, 2, 1e9,
            "A metrics step further ahead of the run's newest step than this many recent logging intervals (the "
                    + "largest of the last 8) plus the margin is held as a suspect until later records confirm or "
                    + "refuse it: one corrupt step must not make the rest of the run look like rewinds. 100 lets a "
                    + "log interval grow 100-fold at once, yet catches a digit slipped into a step (x10 and more).");
    public static final Setting STEP_JUMP_MARGIN_STEPS = longValue("input.step.jump.margin.steps", 1_000, 0,
            9_007_199_254_740_991L, "Absolute slack added to the step-jump limit, so that a young run (no interval "
                    + "known yet) logged every few hundred steps, or a short logging gap, passes without delay.");
    public static final Setting STEP_JUMP_CONFIRM_RECORDS = integer("input.step.jump.confirm.records", 3, 1, 100,
            "Records that decide a suspect step: this many continuing from it confirm it (a real jump is delayed "
                    + "by this many records only), this many at the old pace refuse it (dead-lettered as "
                    + "implausible_step). 3: two corrupt lines in a row that also agree with each other are rare.");
    public static final Setting TRAINING_SNAPSHOT_INTERVAL_STEPS = longValue("training.snapshot.interval.steps", 100,
            1, 1_000_000, "Logged steps between baseline snapshots kept for rewinds (3 periodic plus 3 at "
                    + "checkpoints, so the state stays a few KB).");

    // ---- mixed precision and runs that stopped learning (issue 17) ------------------------------------
    public static final Setting TRAINING_SKIP_WINDOW_STEPS = longValue("training.skip.window.steps", 100, 10,
            1_000_000, "Optimizer steps (not logged lines) over which the share of fp16-skipped steps is measured "
                    + "(and at least 3 records). A scaler warm-up skips at most ~36 of the first steps (DeepSpeed "
                    + "at 2^32 with hysteresis 2), so a 100-step window stays under half; a collapse where every "
                    + "step is skipped fills half of it after 50 steps, inside the 100 the issue allows.");
    public static final Setting TRAINING_SKIP_FRACTION = decimal("training.skip.fraction", 0.5, 0.05, 1,
            "Share of skipped optimizer steps in the window that means the run is not training (\"most steps\"). "
                    + "A healthy GradScaler skips one step per growth interval (1 in 2000); resolves under half of it.");
    public static final Setting TRAINING_LOSS_SCALE_MIN = decimal("training.loss.scale.min", 1.0, 0, 1e9,
            "A loss scale below this has collapsed: DeepSpeed and Megatron stop at min_loss_scale 1, and "
                    + "GradScaler only goes below 1 when nearly every step overflows.");
    public static final Setting TRAINING_LOSS_SCALE_COLLAPSE_HALVINGS = decimal(
            "training.loss.scale.collapse.halvings", 10, 1, 64, "Halvings of the loss scale below its maximum "
                    + "over the window (after the first window of the run, the scaler's warm-up) that count as a "
                    + "collapse: 2^10 is ten overflows in a row, which a healthy scaler (one per growth) never shows.");
    public static final Setting TRAINING_SKIP_MIN_IMPROVEMENT = decimal("training.skip.min.improvement", 0.005,
            0, 1, "Relative fall of the mean loss from the first to the second half of a skipping stretch (also "
                    + "over 3 standard errors of the run's noise) that shows updates still reach the model: then "
                    + "only the gradient-norm metric is broken and not_training is a ticket, not a page.");
    public static final Setting TRAINING_FROZEN_ALPHA = decimal("training.frozen.loss.alpha", 1e-7, 1e-15, 0.1,
            "Chance per logged step that a healthy run repeats its loss value as often as a frozen-loss alert "
                    + "needs, from its noise at the printed precision: 1e-7 keeps a 100,000-step run at 1% while a "
                    + "4-decimal loss alerts after 10 repeats, a 2-decimal plateau whose noise is one printed unit "
                    + "after 18, and a loss printed far more coarsely than its noise never.");
    public static final Setting TRAINING_FROZEN_MIN_REPEATS = longValue("training.frozen.loss.min.repeats", 10, 2,
            1_000_000, "Fewest identical consecutive loss values that alert, however fine the printed precision: "
                    + "an evaluation-style repeat of a few records is not a frozen run.");
    public static final Setting TRAINING_COLLAPSED_FLOOR = decimal("training.collapsed.loss.floor", 1e-4, 0, 1,
            "A loss in [0, this) nats is below what a language model's cross-entropy reaches (perplexity 1.0001): "
                    + "the labels are masked out or the loss is computed on nothing. Real fine-tunes that memorise "
                    + "a small set get to 4e-4 (QLoRA, mmengine) and 9e-4 (Whisper, HF); a printed 0.0000 is "
                    + "below 1e-4.");
    public static final Setting TRAINING_COLLAPSED_STEPS = longValue("training.collapsed.loss.steps", 3, 1,
            1_000_000, "Logged steps in a row below the floor that page: one empty batch can print 0 once; three "
                    + "in a row is the run.");
    public static final Setting TRAINING_BLOWUP_DECADES = decimal("training.blowup.decades", 2.0, 0.5, 20,
            "Decades above where the run started (its first loss, at least 1) that a finite loss pages at once, "
                    + "before any baseline and whatever the gradient norm says: a spike of 100x is no bad batch.");

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
            "Checkpoints the sampling noise (binomial error, seed spread, relative floor) is averaged over.");
    public static final Setting EVAL_EMPIRICAL_NOISE_WINDOW = integer("evals.noise.empirical.window", 24, 6, 1_000,
            "Checkpoints the empirical noise (robust spread around the local trend) is estimated from: a "
                    + "median of 22 residuals reads within ±25% of the truth, one of 10 only within ±40%.");
    public static final Setting EVAL_EMPIRICAL_NOISE_HALF_LIFE = decimal("evals.noise.empirical.half.life", 24, 1,
            1_000, "Checkpoints after which a residual counts half in the empirical noise: the warm-up, where a "
                    + "line through neighbours misses the bend, fades out, while a stationary trajectory keeps "
                    + "about 21 effective residuals of the 22 (shorter half-lives read high or low by chance "
                    + "too often and cost synthetic false alerts).");
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
            "The noise unit is at least this fraction of the score (bits per byte and perplexities: "
                    + "evals.noise.floor.relative.bpb): a validation loss is smooth, and a 0.5% wiggle is not worth a "
                    + "ticket even when it is many of its tiny noise units; an accuracy's binomial error is larger "
                    + "except on a mean over many seeds.");
    public static final Setting EVAL_FLAKY_EPISODES = integer("evals.flaky.episodes", 3, 0, 100,
            "eval_regression episodes in a row that each fell alone (fewer than 2 other benchmarks moved) and "
                    + "recovered after which a benchmark is classed flaky (eval_noisy) and its solo drops are no "
                    + "longer ticketed (a drop shared with 2 other benchmarks still is); 0 turns this off. Counted "
                    + "per benchmark over its metrics. On the real runs 3 cuts tickets 147 -> 137 (OLMo-2 7B 39 -> "
                    + "33, 13B 13 -> 10), 2 to 129; neither changes synthetic recall, where no benchmark drops "
                    + "more than twice.");
    public static final Setting EVAL_FLAKY_RECOVERY_CHECKPOINTS = integer("evals.flaky.recovery.checkpoints", 4, 1,
            1_000, "An episode counts towards flaky when it recovered within this many checkpoints of its drop.");
    public static final Setting EVAL_FLAKY_CALM_CHECKPOINTS = integer("evals.flaky.calm.checkpoints", 100, 1,
            100_000, "Checkpoints without an isolated drop after which a flaky benchmark is watched again: a format "
                    + "fix mid-run should not mute it for good, while boolq's swings, 20-50 checkpoints apart on "
                    + "OLMo-2, keep it classed.");
    public static final Setting EVAL_NEVER_MUTE_Z = decimal("evals.never.mute.z", 10, 3, 1_000,
            "A drop of this many sampling errors (binomial from n or the reported stderr, seed spread; never the "
                    + "empirical swing) below the level of the checkpoints before it is ticketed whatever the noisy "
                    + "or flaky class or an inflated empirical noise says, when it also lost "
                    + "evals.never.mute.chance.share of the level's margin above chance. Sampling alone reaches 10 "
                    + "sigma with odds of 1e-23; a format swing that large (boolq 0.80 -> 0.62 on OLMo-2 7B, 21 "
                    + "sigma) is itself worth a human's look.");
    public static final Setting EVAL_NEVER_MUTE_CHANCE_SHARE = decimal("evals.never.mute.chance.share", 0.25, 0, 1,
            "The share of its margin above chance a never-muted drop must lose: on a large test set 10 sampling "
                    + "errors can be a point of accuracy, which a class may mute; a quarter of what the model "
                    + "learned above chance may not be.");
    public static final Setting EVAL_CATASTROPHIC_FACTOR = decimal("evals.catastrophic.ppl.factor", 2.0, 1.01, 1e6,
            "A perplexity that grows by this factor at one checkpoint over the level before it (a loss in nats by "
                    + "ln of it, bits per byte by log2 of it: the same perplexity factor) is ticketed from the "
                    + "second checkpoint on, before evals.regression.min.checkpoints and whatever the class: no "
                    + "healthy run doubles its perplexity between checkpoints.");
    public static final Setting EVAL_CATASTROPHIC_CHANCE_SHARE = decimal("evals.catastrophic.chance.share", 0.75,
            0.1, 1, "An accuracy that loses this share of its margin above chance at one checkpoint (and at least "
                    + "4 sampling errors) is ticketed from the second checkpoint on, whatever the class: three "
                    + "quarters of the way back to chance is a broken checkpoint or eval, not a wobble.");
    public static final Setting EVAL_UNSTABLE_RATIO = decimal("evals.unstable.ratio", 5, 1, 1_000,
            "A benchmark whose checkpoint-to-checkpoint swing (the robust empirical spread) is this many times its "
                    + "sampling error is said unstable (eval_noisy, reason unstable), once, naming its smoothest "
                    + "sibling metric: the multiple-choice format oscillating while its cloze twin is smooth "
                    + "(MMLU vs MMLU-cloze, arXiv 2406.10229). Binomial error explains a ratio near 1; 5 is far "
                    + "beyond what a spread from 22 residuals reads by chance (about 1.6 at the 95th percentile).");
    public static final Setting EVAL_TAIL_DOF = decimal("evals.noise.tail.dof", 0, 0, 1_000,
            "Prior degrees of freedom of the tail-aware noise model (0: Gaussian thresholds, the model off). On, each "
                    + "trajectory's thresholds come from a Student-t (scaled to robust sigma 1) whose tail matches "
                    + "its share of neighbour residuals beyond 3 noise units, pooled with its run's and with this "
                    + "prior (200 residuals each). 8 is the fit on every real table pooled (1,494 trajectories, "
                    + "50,548 residuals after their 10th checkpoint, 1.00 % beyond 3; OLMo-2 7B 1.02 %, 13B 0.60 %, "
                    + "the OLMo-2 ladder 0.2-0.6 %, BigScience 0.78 %, Pythia 3.15 %). Off by default: at 8 the "
                    + "widened suite's single-checkpoint 5-sigma recall falls from 0.87 to 0.34 and 7 of the 19 "
                    + "real sustained declines found are lost (EvalEvaluation --tail-sweep).");
    public static final Setting EVAL_CO_DROP_BENCHMARKS = integer("evals.co.drop.benchmarks", 3, 2, 1_000,
            "Benchmarks that must fall beyond a level (1-4 noise units, each against its own trend) at one checkpoint "
                    + "before that level's count can make a run-level eval_co_drop: three benchmarks falling together "
                    + "is a training event, two can share a harness bug (on the synthetic pair family 2 raises a "
                    + "co-drop on most runs with a third benchmark's 1-sigma wobble).");
    public static final Setting EVAL_CO_DROP_ALPHA = decimal("evals.co.drop.alpha", 0.05, 1e-9, 0.5,
            "Chance that a run without a training event raises eval_co_drop over its life (Bonferroni over its "
                    + "checkpoints and the 4 levels, binomial tails under Student-t(7) residuals). Higher than "
                    + "evals.regression.alpha because it is one test per run, not per trajectory: a 16-benchmark run "
                    + "already carries 16 x 0.01 for its eval_regression tickets. Over 8 synthetic seeds (CoDropEvaluation) "
                    + "0.05 finds 0.81 of 3-5 benchmarks falling 4-6 sigma and 0.66 of 10-13 falling 2 sigma (0.01: "
                    + "about 0.55 and 0.40), with 1 false co-drop in 80 noise runs and 0 in 80 lone drops; 2 on the 65 "
                    + "real runs, both 11+ benchmarks at once.");
    // --- eval tickets on real tables (issue 13): one block ---
    public static final Setting EVAL_RESOLVE_CHECKPOINTS = integer("evals.regression.resolve.checkpoints", 2, 1, 100,
            "An eval_regression episode closes once this many checkpoints in a row after its drop are back within "
                    + "evals.regression.resolve.z (while it is younger than evals.regression.resolve.hold.within); a "
                    + "gross drop after its first checkpoint back still opens its own ticket. With 1, a swing that was "
                    + "back for one checkpoint and fell again at the next opened a second ticket for the same swing "
                    + "(OLMo-2 7B boolq acc_mc 605k/625k/640k, BigScience prost, sst, triviaqa): on the real tables 2 "
                    + "opens 135 tickets instead of 139 and loses no label of either independent labeller "
                    + "(EvalDiagnosis --tickets); 3 gives 134, also without a loss, but closes every ticket a "
                    + "checkpoint later.");
    public static final Setting EVAL_RESOLVE_HOLD_WITHIN = integer("evals.regression.resolve.hold.within", 6, 1,
            1_000, "Checkpoints since its drop after which an episode closes at its first checkpoint back, "
                    + "whatever evals.regression.resolve.checkpoints says: a long episode whose level bobs about the "
                    + "resolve band would otherwise stay open for dozens of checkpoints and hide a later, separate "
                    + "drop. 6 is past evals.flaky.recovery.checkpoints (4), the swings that come back by themselves; "
                    + "4 and 6 keep every independent label on the real tables, 8 loses BigScience tr3d prost at "
                    + "82500 (labelled by both labellers), no limit also tr12b triviaqa at 67500.");
    public static final Setting EVAL_BPB_NOISE_FLOOR = decimal("evals.noise.floor.relative.bpb", 0.005, 0, 1,
            "The noise unit of bits per byte or a perplexity (log perplexity: an absolute 0.005) is at least this "
                    + "fraction of the score: means over a benchmark's items, which the tables give no sampling error, "
                    + "and a wiggle of about 1 % is not worth a ticket even when it is many of their tiny noise units. "
                    + "On the real tables the bits per byte of OLMo-2 benchmarks move 0.4-0.9 % of their score from "
                    + "checkpoint to checkpoint (held-out half, quartiles: 104 ladder trajectories 0.41 / 0.61 / 0.91 "
                    + "%, 7B 0.59 / 0.74 / 1.2 %); at 0.002, the floor of accuracies and losses, their 1-2 % bumps "
                    + "opened 11 tickets that neither independent labeller supports (EvalDiagnosis --tickets). A "
                    + "validation loss over millions of tokens (OLMo-2 c4 cross-entropy: 0.05 %) keeps 0.002.");
    public static final Setting STALL_FLOOR_S = decimal("liveness.stall.floor.s", 120, 1, 86_400,
            "A learned stall deadline is never shorter than this: 2 min absorbs GC, data-loader and network "
                    + "hiccups of fast runs while still paging 5x sooner than a 10-minute silence rule.");
    public static final Setting STALL_MULTIPLIER = decimal("liveness.stall.multiplier", 3, 1, 100,
            "Stall deadline = this x the high quantile of the run's own record intervals (NVIDIA's watcher uses "
                    + "5x the longest step; 3x a 99th percentile is as safe and pages sooner).");
    public static final Setting STALL_QUANTILE = decimal("liveness.stall.quantile", 0.99, 0.5, 1,
            "Quantile of the record intervals the stall deadline scales: high, so routine slow steps never page.");
    public static final Setting STALL_LONGEST_PAUSE_MULTIPLIER = decimal("liveness.stall.longest.pause.multiplier",
            1.5, 0, 100, "The stall deadline is also at least this x the longest ordinary pause seen recently, so "
                    + "an undeclared periodic evaluation that once passed does not page the next time.");
    public static final Setting LIVENESS_WARMUP_RECORDS = integer("liveness.warmup.records", 3, 0, 100_000,
            "Step records after each (re)start whose intervals and throughput are not learned: compilation and "
                    + "data-loader warm-up make them unrepresentative.");
    public static final Setting STALL_STARTUP_GRACE_S = decimal("liveness.stall.startup.grace.s", 1_800, 1,
            604_800, "Deadline for the first step after a start and before a run's pace is learned: loading a "
                    + "large checkpoint and compiling can take tens of minutes.");
    public static final Setting STALL_INPUT_IDLE_S = longValue("liveness.stall.input.idle.s", 30, 1, 3_600,
            "Silence is judged on the input's own time while a task catches up on a backlog, and on the wall "
                    + "clock once no record arrived for this long: the backlog is consumed (the input stopped). "
                    + "Also how long a task that just started judges no stall while it has processed nothing, "
                    + "since until then a backlog cannot be told from idle input. A lagging partition's records "
                    + "arrive within a poll (under a second); 30 s delays only the page of runs that stalled while "
                    + "the instance was down with nothing behind them, by far less than the 2-min stall floor.");
    public static final Setting STALL_CHECKPOINT_GRACE_S = decimal("liveness.stall.checkpoint.grace.s", 900, 0,
            604_800, "Extra silence allowed around a checkpoint save, at least: save times vary several-fold with "
                    + "storage load, so a hung save pages after 15 min + the step deadline.");
    public static final Setting STALL_CHECKPOINT_PAUSE_MULTIPLIER = decimal(
            "liveness.stall.checkpoint.pause.multiplier", 2, 1, 100,
            "The extra silence allowed around a save grows to this x the run's longest recent save pause.");
    public static final Setting STALL_DECLARED_GRACE_S = decimal("liveness.stall.declared.grace.s", 30, 0, 86_400,
            "Added to a deadline the trainer declares (expect_next_within_s): trainers round their estimates down.");
    public static final Setting LIVENESS_HISTORY_HALF_LIFE = integer("liveness.history.half.life.records", 1_000,
            10, 10_000_000, "Record intervals this many records old count half in the learned stall deadline: "
                    + "the deadline follows a run that changes pace within an hour or so of fast steps.");
    public static final Setting THROUGHPUT_DROP_FRACTION = decimal("liveness.throughput.drop.fraction", 0.08, 0.01,
            0.9, "Throughput this much below the run's own baseline opens a ticket; 8% catches the 10% "
                    + "regressions Megatron's CI fails on. Noisy runs get a wider margin automatically.");
    public static final Setting THROUGHPUT_HOLD_STEPS = longValue("liveness.throughput.hold.steps", 100, 1,
            100_000_000, "A throughput drop, and its recovery, must hold this many steps: a slow stretch of a few "
                    + "steps is not worth a ticket.");
    public static final Setting THROUGHPUT_WINDOW_RECORDS = integer("liveness.throughput.window.records", 32, 3,
            10_000, "Step records in the rolling median compared with the baseline: single slow steps are ignored.");
    public static final Setting THROUGHPUT_HALF_LIFE = integer("liveness.throughput.half.life.records", 500, 10,
            10_000_000, "How slowly the throughput baseline follows a healthy run (records to half weight); it "
                    + "freezes while throughput is low, so a slowdown never becomes the new normal by itself.");
    public static final Setting STORM_RESTARTS = integer("liveness.restart.storm.restarts", 5, 2, 10_000,
            "Restarts within the storm window that page (NVIDIA's watcher: 5 in 30 minutes).");
    public static final Setting STORM_WINDOW_S = decimal("liveness.restart.storm.window.s", 1_800, 60, 604_800,
            "Window of liveness.restart.storm.restarts.");
    public static final Setting STORM_WITHOUT_PROGRESS = integer("liveness.restart.storm.without.progress", 3, 2,
            10_000, "Restarts in a row without a newer checkpoint that page whatever their pace: a slow crash loop "
                    + "burns the same steps again and again.");
    public static final Setting STORM_QUIET_S = decimal("liveness.restart.storm.quiet.s", 1_800, 60, 604_800,
            "A restart storm resolves after this long without a restart while the run makes progress.");
    public static final Setting STORM_COOLDOWN_S = decimal("liveness.restart.storm.cooldown.s", 3_600, 0, 604_800,
            "Minimum time between two restart-storm pages of one run, so a flapping job pages once an hour at "
                    + "most.");

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
        return load(file, env, overrides, null);
    }

    /**
     * As {@link #load(Properties, Map, Map)}, and also refuses a {@code RUNWATCH_} environment variable that is
     * neither a setting's twin nor in {@code flagEnvNames} (the command-line flags' twins), unless that is null.
     * Every refusal names the nearest valid name: a typo must not silently do nothing.
     */
    public static Settings load(Properties file, Map<String, String> env, Map<String, String> overrides,
                                java.util.Set<String> flagEnvNames) {
        Map<String, String> resolved = new LinkedHashMap<>();
        List<String> keys = DEFINITIONS.stream().map(Setting::key).toList();
        for (String key : file.stringPropertyNames()) {
            if (find(key) == null && !key.startsWith("kafka.")) {
                throw new IllegalArgumentException("unknown setting " + key + " in the --config file"
                        + didYouMean(key, keys));
            }
        }
        for (String key : overrides.keySet()) {
            if (find(key) == null) {
                throw new IllegalArgumentException("unknown setting " + key + " in --set" + didYouMean(key, keys));
            }
        }
        if (flagEnvNames != null) {
            List<String> known = new ArrayList<>(DEFINITIONS.stream().map(Setting::envName).toList());
            known.addAll(flagEnvNames);
            for (String name : env.keySet()) {
                if (name.startsWith("RUNWATCH_") && !known.contains(name)) {
                    throw new IllegalArgumentException("unknown environment variable " + name
                            + " (neither a setting nor a flag)" + didYouMean(name, known));
                }
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

    /** "; did you mean X?" with the valid name nearest in edit distance, or "" when none is close. */
    static String didYouMean(String wrong, List<String> valid) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : valid) {
            int d = editDistance(wrong.toLowerCase(java.util.Locale.ROOT), candidate.toLowerCase(java.util.Locale.ROOT));
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        // Far off (over half the name changed) is no suggestion, just noise.
        return best != null && bestDistance <= Math.max(3, wrong.length() / 2) ? "; did you mean " + best + "?" : "";
    }

    /** Levenshtein distance: insertions, deletions and substitutions each cost 1. */
    static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
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
        return new TrainingSettings(longValue(TRAINING_WARMUP_STEPS), decimal(TRAINING_SPIKE_ENTER_Z),
                decimal(TRAINING_SPIKE_CONFIRM_Z), decimal(TRAINING_SPIKE_MIN_RISE),
                longValue(TRAINING_RECOVERY_WINDOW_STEPS), longValue(TRAINING_RECOVERY_PROGRESS_STEPS),
                decimal(TRAINING_SLOW_DIVERGENCE_RISE),
                decimal(TRAINING_SPIKE_RATE_TICKET), decimal(TRAINING_GRAD_SPIKE_Z),
                longValue(TRAINING_GRAD_PERSIST_STEPS), decimal(TRAINING_PRECURSOR_COLLAPSE_DECADES),
                decimal(TRAINING_PRECURSOR_UPDATE_RMS), longValue(REORDER_TOLERANCE_STEPS),
                longValue(TRAINING_SNAPSHOT_INTERVAL_STEPS), longValue(TRAINING_SPIKE_MAX_RISE_STEPS),
                decimal(TRAINING_DIVERGENCE_FAST_RISE), decimal(TRAINING_RECOVERY_NOISE_Z),
                decimal(TRAINING_SPIKE_CUMULATIVE_Z),
                new TrainingSettings.NotTrainingSettings(longValue(TRAINING_SKIP_WINDOW_STEPS),
                        decimal(TRAINING_SKIP_FRACTION), decimal(TRAINING_LOSS_SCALE_MIN),
                        decimal(TRAINING_LOSS_SCALE_COLLAPSE_HALVINGS), decimal(TRAINING_SKIP_MIN_IMPROVEMENT),
                        decimal(TRAINING_FROZEN_ALPHA), longValue(TRAINING_FROZEN_MIN_REPEATS),
                        decimal(TRAINING_COLLAPSED_FLOOR), longValue(TRAINING_COLLAPSED_STEPS),
                        decimal(TRAINING_BLOWUP_DECADES)));
    }

    public StepGuardSettings stepGuard() {
        return new StepGuardSettings(decimal(STEP_JUMP_FACTOR), longValue(STEP_JUMP_MARGIN_STEPS),
                integer(STEP_JUMP_CONFIRM_RECORDS), longValue(REORDER_TOLERANCE_STEPS));
    }

    public EvalSettings evals() {
        return new EvalSettings(integer(EVAL_KENDALL_WINDOW), integer(EVAL_RETAINED_CHECKPOINTS),
                integer(EVAL_LEVEL_CHECKPOINTS), integer(EVAL_LOOKBACK_CHECKPOINTS), integer(EVAL_NOISE_WINDOW),
                integer(EVAL_EMPIRICAL_NOISE_WINDOW), decimal(EVAL_EMPIRICAL_NOISE_HALF_LIFE),
                integer(EVAL_MIN_CHECKPOINTS), decimal(EVAL_ALPHA),
                bool(EVAL_CONFIRM), decimal(EVAL_RESOLVE_Z), decimal(EVAL_MOVED_Z),
                integer(EVAL_NOISY_MIN_CHECKPOINTS), decimal(EVAL_NOISY_MAX_TAU), decimal(EVAL_NOISE_FLOOR),
                integer(EVAL_FLAKY_EPISODES), integer(EVAL_FLAKY_RECOVERY_CHECKPOINTS),
                integer(EVAL_FLAKY_CALM_CHECKPOINTS), decimal(EVAL_NEVER_MUTE_Z),
                decimal(EVAL_NEVER_MUTE_CHANCE_SHARE), decimal(EVAL_CATASTROPHIC_FACTOR),
                decimal(EVAL_CATASTROPHIC_CHANCE_SHARE), decimal(EVAL_UNSTABLE_RATIO), decimal(EVAL_TAIL_DOF),
                integer(EVAL_CO_DROP_BENCHMARKS), decimal(EVAL_CO_DROP_ALPHA),
                integer(EVAL_RESOLVE_CHECKPOINTS), integer(EVAL_RESOLVE_HOLD_WITHIN),
                decimal(EVAL_BPB_NOISE_FLOOR));
    }

    public LivenessSettings liveness() {
        return new LivenessSettings(decimal(STALL_FLOOR_S), decimal(STALL_MULTIPLIER), decimal(STALL_QUANTILE),
                decimal(STALL_LONGEST_PAUSE_MULTIPLIER), integer(LIVENESS_WARMUP_RECORDS),
                decimal(STALL_STARTUP_GRACE_S), decimal(STALL_CHECKPOINT_GRACE_S),
                decimal(STALL_CHECKPOINT_PAUSE_MULTIPLIER), decimal(STALL_DECLARED_GRACE_S),
                integer(LIVENESS_HISTORY_HALF_LIFE), decimal(THROUGHPUT_DROP_FRACTION),
                longValue(THROUGHPUT_HOLD_STEPS), integer(THROUGHPUT_WINDOW_RECORDS), integer(THROUGHPUT_HALF_LIFE),
                integer(STORM_RESTARTS), decimal(STORM_WINDOW_S), integer(STORM_WITHOUT_PROGRESS),
                decimal(STORM_QUIET_S), decimal(STORM_COOLDOWN_S), longValue(REORDER_TOLERANCE_STEPS));
    }

    public io.runwatch.health.HealthSettings health() {
        return new io.runwatch.health.HealthSettings(longValue(HEALTH_STREAMS_GRACE_S) * 1000,
                longValue(HEALTH_BROKER_UNREACHABLE_S) * 1000, integer(HEALTH_THREAD_REPLACEMENTS_MAX),
                longValue(HEALTH_THREAD_REPLACEMENTS_WINDOW_S) * 1000, longValue(HEALTH_STUCK_PARTITION_S) * 1000,
                longValue(HEALTH_PUNCTUATOR_STALE_S) * 1000, longValue(HEALTH_PUNCTUATOR_WEDGED_S) * 1000);
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
