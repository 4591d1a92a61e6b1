package io.runwatch.topology;

import io.runwatch.core.Alert;
import io.runwatch.core.Severity;
import io.runwatch.metrics.RunwatchMetrics;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The last gate before {@code runwatch.alerts}: one firing and one resolved per episode id, whatever the
 * detectors repeat after a replay or restart; a cooldown (in steps) against flapping tickets of one type and
 * subject (pages are never held back); and the {@code runwatch_alert_active} gauges mirroring the open episodes,
 * rebuilt from the store when the application restarts.
 */
final class AlertLifecycleProcessor extends ContextualProcessor<String, Alert, String, Alert> {
    static final String STORE = "alert-book";

    private final RunwatchMetrics metrics;
    private final String runbookBase;
    private final long cooldownSteps;
    private final Housekeeping housekeeping;
    private KeyValueStore<String, AlertBook> store;
    /** Runs whose alert series this processor instance exports, released when its task closes. */
    private final java.util.Set<String> exported = new java.util.HashSet<>();

    AlertLifecycleProcessor(RunwatchMetrics metrics, String runbookBase, long cooldownSteps,
                            Housekeeping housekeeping) {
        this.metrics = metrics;
        this.runbookBase = runbookBase;
        this.cooldownSteps = cooldownSteps;
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
                if (entry.value.open.isEmpty() && nowMs - entry.value.lastAlertMs > housekeeping.stateRetentionMs()) {
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
        boolean emit = alert.isFiring() ? admitFiring(book, alert) : admitResolved(book, alert);
        book.lastAlertMs = Math.max(book.lastAlertMs, alert.timeMs());
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
        context().forward(record.withKey(run).withValue(alert));
    }

    private boolean admitFiring(AlertBook book, Alert alert) {
        if (book.open.containsKey(alert.id()) || book.closed.contains(alert.id())) {
            return false; // the same episode again (replay after a rewind or restart)
        }
        Long lastResolved = book.lastResolvedStep.get(cooldownKey(alert));
        if (alert.severity() == Severity.ticket && lastResolved != null
                && alert.step() >= lastResolved && alert.step() - lastResolved < cooldownSteps) {
            book.remember(alert.id()); // suppressed: its resolve must be swallowed too
            return false;
        }
        AlertBook.OpenEpisode episode = new AlertBook.OpenEpisode();
        episode.type = alert.type().name();
        episode.severity = alert.severity().name();
        episode.rollbackToStep = alert.rollbackToStep();
        episode.firedAtMs = alert.timeMs();
        episode.step = alert.step();
        book.open.put(alert.id(), episode);
        return true;
    }

    private boolean admitResolved(AlertBook book, Alert alert) {
        AlertBook.OpenEpisode episode = book.open.remove(alert.id());
        if (episode == null) {
            return false; // never opened here (suppressed, a notice, or already resolved)
        }
        book.remember(alert.id());
        book.resolved(alert.id(), episode, alert.timeMs());
        // Forget cooldowns that have run out, so the map stays as small as the set of flapping subjects.
        book.lastResolvedStep.values().removeIf(resolvedAt -> alert.detectedAtStep() - resolvedAt >= cooldownSteps);
        if (alert.severity() == Severity.ticket) {
            // Only a ticket starts a cooldown: a bad-batch notice must not hold back the real spike after it.
            book.lastResolvedStep.put(cooldownKey(alert), alert.detectedAtStep());
        }
        return true;
    }

    private static String cooldownKey(Alert alert) {
        return alert.type() + "|" + alert.subject();
    }
}
