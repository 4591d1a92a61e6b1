package io.runwatch.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.runwatch.core.Alert;
import io.runwatch.core.GroupStats;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.evals.EvalOutcome;
import io.runwatch.core.liveness.LivenessGauges;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.runwatch.config.Settings;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one class that owns runwatch's meters. Series, as Prometheus renders them:
 * <pre>
 * runwatch_records_total{topic}                       records read, per input topic
 * runwatch_records_rejected_total{topic,reason}       records sent to the dead-letter topic
 * runwatch_alerts_total{type,severity}                alert episodes fired
 * runwatch_alert_active{run,type,severity}            open episodes (series removed when none is open)
 * runwatch_alert_rollback_to_step{run,type}           rollback target of the newest open episode of a type
 * runwatch_alert_benchmark_active{run,type,severity,benchmark,group}  open eval episodes per benchmark
 * runwatch_run_step{run}                              newest step
 * runwatch_run_loss{run}, runwatch_run_grad_norm{run}, runwatch_run_lr{run}, runwatch_run_tokens_per_second{run}
 * runwatch_run_last_seen_timestamp_seconds{run}       record time of the newest record
 * runwatch_group_grad_norm{run,group}, runwatch_group_update_rms_over_lr{run,group}
 * runwatch_loss_spikes_total{run}, runwatch_run_loss_spike_rate{run}
 * runwatch_run_skipped_steps_total{run}, runwatch_run_skipped_step_fraction{run}, runwatch_run_loss_scale{run}
 * runwatch_eval_score{run,benchmark,metric}, runwatch_eval_noise{...}, runwatch_eval_regression_z{...}
 * runwatch_eval_noisy{run,benchmark,metric}          1 while the trajectory is classed as noise, else 0
 * runwatch_eval_kendall_tau{run,benchmark,metric,window}   window = "all" or the rolling window size
 * runwatch_eval_capability_score{run,capability}, runwatch_eval_weakest_capability{run,capability}
 * runwatch_run_goodput_ratio{run}, runwatch_run_lost_steps_total{run}, runwatch_run_restarts_total{run}
 * runwatch_run_stall_deadline_seconds{run}, runwatch_run_silence_seconds{run}, runwatch_run_throughput_ratio{run}
 * runwatch_last_processed_timestamp_seconds           wall time of the newest processed record (dead man)
 * runwatch_processing_delay_seconds                    record time → processed (summary)
 * runwatch_consumer_lag_records{topic,partition}      records behind the end of an input partition this
 *                                                      instance owns (absent for partitions it does not own)
 * runwatch_streams_running                             1 while Kafka Streams is RUNNING or REBALANCING
 * runwatch_health_check{check}                         1 while a /healthz or /readyz check passes, else 0
 * runwatch_series_dropped_total{reason}               per-run series refused by a cap (reason="max_groups")
 * runwatch_exported_runs                              runs whose training series this instance exports
 * </pre>
 * A run's training-side series (runwatch_run_*, runwatch_group_*, runwatch_loss_spikes_total) live in one
 * {@link RunSeries} per run: a record costs one map lookup and field writes, a scrape renders them through one
 * collector (PrometheusMeterRegistry only; with another registry they are kept but not exported), and
 * {@link #removeRun} drops the run's object. Alert and evaluation series are Micrometer gauges, indexed by run so
 * that removing a run's series touches only its own. Per-run series disappear with {@link #removeRun} (the
 * processors' expiry) so cardinality stays bounded, and with {@link #releaseRun} when the partition holding the
 * run moves to another instance, so only the owner exports a run. Label values pass {@link #labelValue}: no input
 * can break the exposition format.
 */
public final class RunwatchMetrics {
    private final MeterRegistry registry;
    /** Gauges kept as Micrometer meters (alerts, evaluations, lag, health), by {@link #key}. */
    private final Map<String, Cell> cells = new ConcurrentHashMap<>();
    /** The keys of {@link #cells} that carry a run label, per run: removing a run walks its own series only. */
    private final Map<String, Set<String>> cellsOfRun = new ConcurrentHashMap<>();
    /** Training-side series of each run, by exported run id; rendered by {@link RunSeries.Export}. */
    private final Map<String, RunSeries> runSeries = new ConcurrentHashMap<>();
    private final int maxGroupsPerRun;
    private final Counter groupSeriesDropped;
    private final Map<String, Counter> recordsRead = new ConcurrentHashMap<>();
    private final Map<String, Held> heldUntil = new ConcurrentHashMap<>();
    private final Map<String, String> weakestCapability = new ConcurrentHashMap<>();
    private final long alertMinVisibleMs;
    private final DoubleCell lastProcessedSeconds = new DoubleCell(Double.NaN);
    private final Map<String, DoubleCell> partitionLag = new ConcurrentHashMap<>();
    private final Map<String, Object> runOwners = new ConcurrentHashMap<>();
    private final AtomicLong lastPunctuationMs = new AtomicLong(-1);
    private final DoubleCell streamsRunning = new DoubleCell(0);
    private final DistributionSummary processingDelay;

    public RunwatchMetrics(MeterRegistry registry) {
        this(registry, 0);
    }

    public RunwatchMetrics(MeterRegistry registry, long alertMinVisibleMs) {
        this(registry, alertMinVisibleMs, Settings.defaults().integer(Settings.METRICS_RUN_MAX_GROUPS));
    }

    /**
     * @param alertMinVisibleMs how long a closed episode's series stay after it closes (see {@link #alertActive})
     * @param maxGroupsPerRun   parameter groups of a run that get series; later ones are counted as dropped
     */
    public RunwatchMetrics(MeterRegistry registry, long alertMinVisibleMs, int maxGroupsPerRun) {
        this.registry = registry;
        this.alertMinVisibleMs = alertMinVisibleMs;
        this.maxGroupsPerRun = maxGroupsPerRun;
        if (registry instanceof PrometheusMeterRegistry prometheus) {
            // Per-run series are plain fields rendered by one collector: a Micrometer meter per series cost ~750 B
            // of heap and its share of a scrape for each of ~19 series of every run (see the README, Performance).
            RunSeries.Export export = new RunSeries.Export(runSeries::values);
            prometheus.getPrometheusRegistry().register(export);
            if (registry instanceof RunwatchRegistry fast) {
                fast.renderRunsWith(export); // and /metrics writes them directly (see RunwatchRegistry)
            }
        }
        groupSeriesDropped = Counter.builder("runwatch_series_dropped")
                .description("Per-run series not exported because of a per-run cap (each counted once per run)")
                .tag("reason", "max_groups").register(registry);
        Gauge.builder("runwatch_exported_runs", runSeries, Map::size)
                .description("Runs whose training series this instance exports now")
                .strongReference(true).register(registry);
        Gauge.builder("runwatch_last_processed_timestamp_seconds", lastProcessedSeconds, DoubleCell::get)
                .description("Wall-clock time (epoch s) at which runwatch last processed an input record")
                .strongReference(true).register(registry);
        Gauge.builder("runwatch_streams_running", streamsRunning, DoubleCell::get)
                .description("1 while the Kafka Streams application is running or rebalancing, else 0")
                .strongReference(true).register(registry);
        processingDelay = DistributionSummary.builder("runwatch_processing_delay_seconds")
                .description("Delay from a record's time to its processing by runwatch")
                .publishPercentiles(0.5, 0.99)
                .register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    // ---- the monitor itself ----------------------------------------------------------------------------

    public void recordRead(String topic) {
        recordsRead.computeIfAbsent(topic, t -> Counter.builder("runwatch_records")
                .description("Input records read, per topic").tag("topic", labelValue(t)).register(registry)).increment();
    }

    public void recordRejected(String topic, String reason) {
        Counter.builder("runwatch_records_rejected")
                .description("Input records sent to the dead-letter topic, per topic and reason")
                .tags(safe(Tags.of("topic", topic, "reason", reason))).register(registry).increment();
    }

    /** A record was processed at wall time {@code nowMs}; its own time was {@code recordTimeMs}. */
    public void processed(long recordTimeMs, long nowMs) {
        lastProcessedSeconds.set(nowMs / 1000.0);
        if (recordTimeMs > 0 && nowMs >= recordTimeMs) {
            processingDelay.record((nowMs - recordTimeMs) / 1000.0);
        }
    }

    /**
     * Records behind the end of each input partition this instance owns now ("topic" → partition → lag); the
     * series of partitions not in the map are removed, so a partition is exported by its owner alone.
     */
    public void consumerLag(Map<String, Map<Integer, Long>> lagByTopicPartition) {
        java.util.Set<String> owned = new java.util.HashSet<>();
        lagByTopicPartition.forEach((topic, partitions) -> partitions.forEach((partition, lag) -> {
            Tags tags = Tags.of("topic", topic, "partition", String.valueOf(partition));
            owned.add(key("runwatch_consumer_lag_records", tags));
            partitionLag.computeIfAbsent(key("runwatch_consumer_lag_records", tags),
                    k -> gauge("runwatch_consumer_lag_records", "Records behind the end of an input partition this "
                            + "instance owns", tags)).set(lag);
        }));
        partitionLag.keySet().removeIf(k -> {
            if (owned.contains(k)) {
                return false;
            }
            removeCell(k);
            return true;
        });
    }

    /** One health check's outcome (see io.runwatch.health.HealthJudge), for alerting on runwatch itself. */
    public void healthCheck(String check, boolean ok) {
        gauge("runwatch_health_check", "1 while a runwatch health check (/healthz, /readyz) passes, else 0",
                Tags.of("check", check)).set(ok ? 1 : 0);
    }

    /** The wall-clock punctuator of a task ran at {@code nowMs} (read by the health checks). */
    public void punctuated(long nowMs) {
        lastPunctuationMs.accumulateAndGet(nowMs, Math::max);
    }

    public long lastPunctuationMs() {
        return lastPunctuationMs.get();
    }

    public void streamsRunning(boolean running) {
        streamsRunning.set(running ? 1 : 0);
    }

    // ---- alerts ---------------------------------------------------------------------------------------------

    /** An alert episode fired (counted once per episode, escalations included). */
    public void alertFired(Alert alert) {
        Counter.builder("runwatch_alerts").description("Alert episodes fired, per type and severity")
                .tags("type", alert.type().name(), "severity", alert.severity().name())
                .register(registry).increment();
    }

    /** Number of open episodes with these labels; the series is removed when it reaches zero. */
    /**
     * Number of open episodes with these labels. At zero the series is removed, but only after the minimum
     * visible time: an episode that opens and closes between two scrapes (a rewind notice, a short spike)
     * must still reach Prometheus once. Removal happens in {@link #expireHeldAlerts}.
     */
    public void alertActive(String run, String type, String severity, int openEpisodes, long nowMs) {
        Tags tags = Tags.of("run", run, "type", type, "severity", severity);
        setOrRelease("runwatch_alert_active", "Open alert episodes (1 while firing)", tags,
                openEpisodes > 0 ? (double) openEpisodes : null, nowMs);
    }

    /**
     * Open episodes of an alert about one benchmark ({@code group}: its capability, "" when none), so that a rule can
     * carry the benchmark to Alertmanager for routing and silencing; held and released like {@link #alertActive}.
     */
    public void alertBenchmarkActive(String run, String type, String severity, String benchmark, String group,
                                     int openEpisodes, long nowMs) {
        Tags tags = Tags.of("run", run, "type", type, "severity", severity, "benchmark", benchmark == null ? "" : benchmark,
                "group", group == null ? "" : group);
        setOrRelease("runwatch_alert_benchmark_active", "Open alert episodes about one benchmark (1 while firing)",
                tags, openEpisodes > 0 ? (double) openEpisodes : null, nowMs);
    }

    /** Rollback target of the newest open episode of a type; null releases the series like {@link #alertActive}. */
    public void alertRollback(String run, String type, Long rollbackToStep, long nowMs) {
        setOrRelease("runwatch_alert_rollback_to_step", "Checkpoint step to roll back to for an open episode",
                Tags.of("run", run, "type", type), rollbackToStep == null ? null : (double) rollbackToStep, nowMs);
    }

    /** Removes alert series whose episodes closed at least the minimum visible time before {@code nowMs}. */
    public void expireHeldAlerts(long nowMs) {
        heldUntil.entrySet().removeIf(held -> {
            if (held.getValue().untilMs() > nowMs) {
                return false;
            }
            remove(held.getValue().name(), held.getValue().tags());
            return true;
        });
    }

    private void setOrRelease(String name, String description, Tags unsafeTags, Double value, long nowMs) {
        Tags tags = safe(unsafeTags);
        String key = key(name, tags);
        if (value != null) {
            heldUntil.remove(key);
            gauge(name, description, tags).set(value);
        } else if (alertMinVisibleMs <= 0) {
            remove(name, tags);
        } else if (cells.containsKey(key)) {
            heldUntil.put(key, new Held(name, tags, nowMs + alertMinVisibleMs));
        }
    }

    private record Held(String name, Tags tags, long untilMs) {
    }

    // ---- training steps -------------------------------------------------------------------------------

    /** The values of a run's newest step: a lookup of the run's series and field writes. */
    public void trainingStep(MetricPoint p) {
        stepValues(series(p.run()), p);
    }

    private void stepValues(RunSeries series, MetricPoint p) {
        series.set(RunSeries.Value.STEP, p.step());
        series.set(RunSeries.Value.LAST_SEEN, p.timeMs() / 1000.0);
        series.setIfPresent(RunSeries.Value.LOSS, p.loss());
        series.setIfPresent(RunSeries.Value.GRAD_NORM, p.gradNorm());
        series.setIfPresent(RunSeries.Value.LR, p.lr());
        series.setIfPresent(RunSeries.Value.TOKENS_PER_SECOND, p.tokensPerS());
        series.setIfPresent(RunSeries.Value.LOSS_SCALE, p.lossScale());
        Map<String, GroupStats> groups = p.groups();
        if (groups.isEmpty()) {
            return;
        }
        List<String> unknown = null;
        for (Map.Entry<String, GroupStats> entry : groups.entrySet()) {
            RunSeries.Group g = series.findGroup(labelValue(entry.getKey()));
            if (g != null) {
                g.set(entry.getValue().gradNorm(), entry.getValue().updateRmsOverLr());
            } else {
                unknown = unknown == null ? new ArrayList<>() : unknown;
                unknown.add(entry.getKey());
            }
        }
        if (unknown != null) {
            // In name order: under the cap, the same groups get series whatever order the record's map iterates in.
            Collections.sort(unknown);
            for (String name : unknown) {
                GroupStats stats = groups.get(name);
                RunSeries.Group g = series.addGroup(labelValue(name), maxGroupsPerRun);
                if (g != null) {
                    g.set(stats.gradNorm(), stats.updateRmsOverLr());
                } else if (series.refusedFirstTime(labelValue(name))) {
                    groupSeriesDropped.increment((stats.gradNorm() != null ? 1 : 0)
                            + (stats.updateRmsOverLr() != null ? 1 : 0));
                }
            }
        }
    }

    /**
     * One step record of a run, with one lookup of its series: the step's values when it is the run's newest
     * ({@link #trainingStep}), and the run's loss-spike and skipped-step numbers ({@link #lossSpikes},
     * {@link #skippedSteps}).
     */
    public void trainingRecord(MetricPoint p, boolean newest, long lossSpikesTotal, double lossSpikeRate,
                               long skippedStepsTotal, double skippedStepFraction) {
        RunSeries series = series(p.run());
        if (newest) {
            stepValues(series, p);
        }
        series.raise(RunSeries.Value.LOSS_SPIKES, lossSpikesTotal);
        series.setIfFinite(RunSeries.Value.LOSS_SPIKE_RATE, lossSpikeRate);
        series.raise(RunSeries.Value.SKIPPED_STEPS, skippedStepsTotal);
        series.setIfFinite(RunSeries.Value.SKIPPED_FRACTION, skippedStepFraction);
    }

    /** The run's newest step, restored from state when a task starts. */
    public void runStep(String run, long step) {
        series(run).set(RunSeries.Value.STEP, step);
    }

    /** The run's last-seen time, for records (events) that carry no metrics. */
    public void runSeen(String run, long timeMs) {
        series(run).set(RunSeries.Value.LAST_SEEN, timeMs / 1000.0);
    }

    /** Single-step loss outliers (bad batches) seen so far, and their recent rate per 1000 logged steps. */
    public void lossSpikes(String run, long total, double ratePerThousandSteps) {
        RunSeries series = series(run);
        series.raise(RunSeries.Value.LOSS_SPIKES, total);
        series.setIfFinite(RunSeries.Value.LOSS_SPIKE_RATE, ratePerThousandSteps);
    }

    /** Optimizer steps the fp16 loss scaler skipped so far, and their recent share (see TrainingHealthMonitor). */
    public void skippedSteps(String run, long total, double recentFraction) {
        RunSeries series = series(run);
        series.raise(RunSeries.Value.SKIPPED_STEPS, total);
        series.setIfFinite(RunSeries.Value.SKIPPED_FRACTION, recentFraction);
    }

    private RunSeries series(String run) {
        String safeRun = labelValue(run);
        RunSeries series = runSeries.get(safeRun);
        return series != null ? series : runSeries.computeIfAbsent(safeRun, RunSeries::new);
    }

    // ---- evaluations --------------------------------------------------------------------------------

    public void evalOutcome(EvalOutcome outcome) {
        if (outcome.unplacedReason() != null) {
            Counter.builder("runwatch_eval_results_unplaced")
                    .description("Evaluation results read but not placed in their trajectory, per reason")
                    .tag("reason", outcome.unplacedReason()).register(registry).increment();
        }
        var g = outcome.trajectory();
        if (g != null) {
            Tags tags = Tags.of("run", g.run(), "benchmark", g.benchmark(), "metric", g.metric());
            setIfFinite("runwatch_eval_score", "Latest score of a benchmark metric", tags, g.score());
            setIfFinite("runwatch_eval_noise", "Noise estimate of a benchmark trajectory, in score units", tags,
                    g.noise());
            gauge("runwatch_eval_noisy", "1 while the benchmark is indistinguishable from noise, else 0", tags)
                    .set(g.noisy() ? 1 : 0);
            setIfFinite("runwatch_eval_regression_z",
                    "Drop below the expected score (recent trend or level), in noise units",
                    tags, g.regressionZ());
            setIfFinite("runwatch_eval_kendall_tau", "Kendall tau between step and score", tags.and("window", "all"),
                    g.kendallTauAll());
            setIfFinite("runwatch_eval_kendall_tau", "Kendall tau between step and score",
                    tags.and("window", String.valueOf(g.kendallWindow())), g.kendallTauWindow());
        }
        String run = g != null ? g.run() : null;
        if (run != null) {
            outcome.capabilities().forEach((capability, score) -> setIfFinite("runwatch_eval_capability_score",
                    "Mean normalised score of a capability's benchmarks", Tags.of("run", run, "capability",
                            capability), score));
            String weakest = outcome.weakestCapability();
            if (weakest != null) {
                String previous = weakestCapability.put(run, weakest);
                if (previous != null && !previous.equals(weakest)) {
                    remove("runwatch_eval_weakest_capability", Tags.of("run", run, "capability", previous));
                }
                Double score = outcome.capabilities().get(weakest);
                setIfFinite("runwatch_eval_weakest_capability", "Score of the run's weakest capability",
                        Tags.of("run", run, "capability", weakest), score == null ? Double.NaN : score);
            }
        }
    }

    // ---- liveness -------------------------------------------------------------------------------------

    public void liveness(String run, LivenessGauges g) {
        RunSeries series = series(run);
        series.setIfFinite(RunSeries.Value.GOODPUT, g.goodputRatio());
        series.setIfFinite(RunSeries.Value.STALL_DEADLINE, g.stallDeadlineS());
        series.setIfFinite(RunSeries.Value.SILENCE, g.silenceS());
        series.setIfFinite(RunSeries.Value.THROUGHPUT_RATIO, g.throughputRatio());
        series.raise(RunSeries.Value.LOST_STEPS, g.lostSteps());
        series.raise(RunSeries.Value.RESTARTS, g.restartsTotal());
    }

    // ---- lifecycle -----------------------------------------------------------------------------------

    /**
     * Removes a run's training-side series (steps, liveness) after its end or its retention, except its open
     * alerts: those belong to the alert lifecycle and go only when resolved (a run silent for hours may be
     * exactly the one paging). Its evaluation series expire on their own clock ({@link #removeRunEvals}).
     */
    public void removeRun(String run) {
        runSeries.remove(labelValue(run));
    }

    /**
     * Notes that {@code owner} (a processor instance) exports the run's series of one scope ("training",
     * "evals", "alerts"). The newest claim wins: a task re-created on another thread claims before or after the
     * old one is closed, and only the current owner's release removes series.
     */
    public void claimRun(String scope, String run, Object owner) {
        runOwners.put(scope + "|" + run, owner);
    }

    /**
     * The task of {@code owner} is closed (its partition revoked, or the instance stopping): removes the run's
     * series of that scope unless another processor instance has claimed the run since. Returns whether removed.
     */
    public boolean releaseRun(String scope, String run, Object owner) {
        if (!runOwners.remove(scope + "|" + run, owner)) {
            return false;
        }
        switch (scope) {
            case "training" -> removeRun(run);
            case "evals" -> removeRunEvals(run);
            case "alerts" -> removeRunAlerts(run);
            default -> throw new IllegalArgumentException("unknown scope " + scope);
        }
        return true;
    }

    /** Removes a run's alert series at once (its partition moved: the new owner exports them). */
    public void removeRunAlerts(String run) {
        String safeRun = labelValue(run);
        heldUntil.values().removeIf(held -> safeRun.equals(held.tags().stream()
                .filter(t -> t.getKey().equals("run")).map(io.micrometer.core.instrument.Tag::getValue)
                .findFirst().orElse(null)));
        removeRunSeries(run, name -> name.startsWith("runwatch_alert_"));
    }

    /** Removes a run's evaluation series once no evaluation arrived for the retention. */
    public void removeRunEvals(String run) {
        weakestCapability.remove(run);
        removeRunSeries(run, name -> name.startsWith("runwatch_eval_"));
    }

    /** The run's Micrometer series whose name passes the filter; O(series of the run). */
    private void removeRunSeries(String run, java.util.function.Predicate<String> name) {
        Set<String> keys = cellsOfRun.get(labelValue(run));
        if (keys == null) {
            return;
        }
        for (String key : List.copyOf(keys)) {
            Cell cell = cells.get(key);
            if (cell != null && name.test(cell.meter.getId().getName())) {
                removeCell(key);
            }
        }
    }

    // ---- plumbing ------------------------------------------------------------------------------------

    /** A gauge that exists only while its value is defined: NaN (not known, e.g. after a run's end) removes it. */
    private void setIfFinite(String name, String description, Tags tags, double value) {
        if (Double.isFinite(value)) {
            gauge(name, description, tags).set(value);
        } else {
            remove(name, tags);
        }
    }

    private DoubleCell gauge(String name, String description, Tags unsafeTags) {
        Tags tags = safe(unsafeTags);
        String key = key(name, tags);
        Cell existing = cells.get(key);
        if (existing != null) {
            return existing.value;
        }
        return cells.computeIfAbsent(key, k -> {
            DoubleCell cell = new DoubleCell(Double.NaN);
            Gauge gauge = Gauge.builder(name, cell, DoubleCell::get).description(description).tags(tags)
                    .strongReference(true).register(registry);
            String run = gauge.getId().getTag("run");
            if (run != null) {
                cellsOfRun.computeIfAbsent(run, r -> ConcurrentHashMap.newKeySet()).add(k);
            }
            return new Cell(cell, gauge);
        }).value;
    }

    private void remove(String name, Tags tags) {
        // never registered, or removed already: nothing to do (a search of the registry walks every meter)
        removeCell(key(name, safe(tags)));
    }

    private void removeCell(String key) {
        Cell cell = cells.remove(key);
        if (cell == null) {
            return;
        }
        registry.remove(cell.meter);
        String run = cell.meter.getId().getTag("run");
        if (run != null) {
            cellsOfRun.computeIfPresent(run, (r, keys) -> {
                keys.remove(key);
                return keys.isEmpty() ? null : keys;
            });
        }
    }

    /** A Micrometer gauge and the value it reads. */
    private record Cell(DoubleCell value, Meter meter) {
    }

    /**
     * A label value that any Prometheus parser reads back as written: control characters (NUL, newlines, ...)
     * and unpaired surrogates (which have no UTF-8 form) become U+FFFD. Quotes and backslashes are escaped by
     * the exposition writer. Idempotent, so a sanitized value finds its own series again.
     */
    public static String labelValue(String value) {
        if (value == null) {
            return "";
        }
        StringBuilder out = null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean bad = Character.isISOControl(c)
                    || Character.isHighSurrogate(c) && (i + 1 >= value.length()
                    || !Character.isLowSurrogate(value.charAt(i + 1)))
                    || Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(value.charAt(i - 1)));
            if (bad && out == null) {
                out = new StringBuilder(value.length()).append(value, 0, i);
            }
            if (out != null) {
                out.append(bad ? '\uFFFD' : c);
            }
        }
        return out == null ? value : out.toString();
    }

    private static Tags safe(Tags tags) {
        boolean clean = tags.stream().allMatch(t -> labelValue(t.getValue()).equals(t.getValue()));
        return clean ? tags : Tags.of(tags.stream()
                .map(t -> io.micrometer.core.instrument.Tag.of(t.getKey(), labelValue(t.getValue()))).toList());
    }

    private static String key(String name, Tags tags) {
        return name + tags; // Tags are kept sorted, so equal tag sets print alike
    }

    /** A mutable double a gauge reads. */
    static final class DoubleCell {
        private volatile double value;

        DoubleCell(double initial) {
            this.value = initial;
        }

        double get() {
            return value;
        }

        void set(double v) {
            value = v;
        }
    }
}
