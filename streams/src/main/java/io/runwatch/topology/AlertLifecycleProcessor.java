package io.runwatch.topology;

import io.runwatch.core.Alert;
import io.runwatch.core.alerts.AlertBook;
import io.runwatch.core.alerts.AlertLifecycle;
import io.runwatch.metrics.RunwatchMetrics;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The last gate before {@code runwatch.alerts}: applies {@link AlertLifecycle} (one firing and one resolved per
 * episode id, the cooldown against flapping tickets) with each run's {@link AlertBook} kept in a store, forwards
 * what it admits, and keeps the {@code runwatch_alert_active} gauges mirroring the open episodes, rebuilt from the
 * store when the application restarts.
 */
final class AlertLifecycleProcessor extends ContextualProcessor<String, Alert, String, Alert> {
    static final String STORE = "alert-book";

    private final RunwatchMetrics metrics;
    private final String runbookBase;
    private final AlertLifecycle lifecycle;
    private final Housekeeping housekeeping;
    private KeyValueStore<String, AlertBook> store;
    /** Runs whose alert series this processor instance exports, released when its task closes. */
    private final java.util.Set<String> exported = new java.util.HashSet<>();

    AlertLifecycleProcessor(RunwatchMetrics metrics, String runbookBase, long cooldownSteps,
                            Housekeeping housekeeping) {
        this.metrics = metrics;
        this.runbookBase = runbookBase;
        this.lifecycle = new AlertLifecycle(cooldownSteps);
        this.housekeeping = housekeeping;
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        super.init(context);
        store = context.getStateStore(STORE);
        try (KeyValueIterator<String, AlertBook> it = store.all()) {
            it.forEachRemaining(entry -> entry.value.open.forEach((id, episode) -> {
                export(entry.key);
                long now = context.currentSystemTimeMs();
                metrics.alertActive(entry.key, episode.type, episode.severity,
                        entry.value.openCount(episode.type, episode.severity), now);
                metrics.alertRollback(entry.key, episode.type, entry.value.newestRollback(episode.type), now);
                if (episode.benchmark != null || episode.group != null) {
                    metrics.alertBenchmarkActive(entry.key, episode.type, episode.severity, episode.benchmark,
                            episode.group, entry.value.openCount(episode.type, episode.severity, episode.benchmark,
                                    episode.group), now);
                }
            }));
        }
        context.schedule(housekeeping.tick(), housekeeping.clock(), this::forgetQuietRuns);
    }

    private void export(String run) {
        if (exported.add(run)) {
            metrics.claimRun("alerts", run, this);
        }
    }

    /**
     * The task is closed (partition revoked, thread replaced, instance stopping): its runs' alert series go at
     * once, so only the new owner, which rebuilds them from the book, exports them.
     */
    @Override
    public void close() {
        for (String run : exported) {
            metrics.releaseRun("alerts", run, this);
        }
        exported.clear();
    }

    /** Drops the books of runs with nothing open and no alert for the state retention, so the store stays bounded. */
    private void forgetQuietRuns(long nowMs) {
        java.util.List<String> quiet = new java.util.ArrayList<>();
        try (KeyValueIterator<String, AlertBook> it = store.all()) {
            it.forEachRemaining(entry -> {
                if (AlertLifecycle.isForgettable(entry.value, nowMs, housekeeping.stateRetentionMs())) {
                    quiet.add(entry.key);
                }
            });
        }
        quiet.forEach(store::delete);
    }

    @Override
    public void process(Record<String, Alert> record) {
        Alert alert = record.value().withRunbook(runbookBase + "#" + record.value().type().runbookAnchor());
        String run = alert.run();
        AlertBook book = store.get(run);
        if (book == null) {
            book = new AlertBook();
        }
        boolean emit = lifecycle.admit(book, alert);
        store.put(run, book);
        if (!emit) {
            return;
        }
        String type = alert.type().name();
        String severity = alert.severity().name();
        export(run);
        if (alert.isFiring()) {
            metrics.alertFired(alert);
        }
        long now = context().currentSystemTimeMs();
        metrics.alertActive(run, type, severity, book.openCount(type, severity), now);
        metrics.alertRollback(run, type, book.newestRollback(type), now);
        if (alert.benchmark() != null) {
            metrics.alertBenchmarkActive(run, type, severity, alert.benchmark(), alert.group(),
                    book.openCount(type, severity, alert.benchmark(), alert.group()), now);
        }
        context().forward(record.withKey(run).withValue(alert));
    }
}
