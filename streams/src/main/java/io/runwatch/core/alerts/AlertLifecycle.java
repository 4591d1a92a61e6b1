package io.runwatch.core.alerts;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.Severity;

/**
 * The policy between the detectors and {@code runwatch.alerts}: one firing and one resolved per episode id,
 * whatever the detectors repeat after a replay or restart, and a cooldown (in steps, so a backtest behaves as
 * live) against flapping tickets of one type and subject. Pages and notices are never held back. Pure: the
 * run's {@link AlertBook} and the time come in; the topology keeps the book in a store and forwards what is
 * admitted.
 */
public final class AlertLifecycle {
    private final long cooldownSteps;

    /**
     * @param cooldownSteps steps after a ticket resolves during which a new ticket of its type and subject is
     *                      held back
     */
    public AlertLifecycle(long cooldownSteps) {
        this.cooldownSteps = cooldownSteps;
    }

    /** Records {@code alert} in the run's book and says whether it goes out. */
    public boolean admit(AlertBook book, Alert alert) {
        boolean emit = alert.isFiring() ? admitFiring(book, alert) : admitResolved(book, alert);
        book.lastAlertMs = Math.max(book.lastAlertMs, alert.timeMs());
        return emit;
    }

    /** A book with nothing open and no alert for {@code retentionMs} before {@code nowMs} can be dropped. */
    public static boolean isForgettable(AlertBook book, long nowMs, long retentionMs) {
        return book.open.isEmpty() && nowMs - book.lastAlertMs > retentionMs;
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
        episode.benchmark = alert.benchmark();
        episode.group = alert.group();
        book.open.put(alert.id(), episode);
        if (isTrainingEpisode(alert)) {
            book.trainingEpisodeOpened(alert.id(), alert.type().name(), alert.step());
        }
        return true;
    }

    private boolean admitResolved(AlertBook book, Alert alert) {
        AlertBook.OpenEpisode episode = book.open.remove(alert.id());
        if (episode == null) {
            return false; // never opened here (suppressed, a notice, or already resolved)
        }
        book.remember(alert.id());
        book.resolved(alert.id(), episode, alert.timeMs());
        if (isTrainingEpisode(alert)) {
            book.trainingEpisodeEnded(alert.id(), alert.detectedAtStep());
        }
        // Forget cooldowns that have run out, so the map stays as small as the set of flapping subjects.
        book.lastResolvedStep.values().removeIf(resolvedAt -> alert.detectedAtStep() - resolvedAt >= cooldownSteps);
        if (alert.severity() == Severity.ticket) {
            // Only a ticket starts a cooldown: a bad-batch notice must not hold back the real spike after it.
            book.lastResolvedStep.put(cooldownKey(alert), alert.detectedAtStep());
        }
        return true;
    }

    /** Loss-spike and divergence tickets and pages: what a co-drop of the benchmarks is traced back to. */
    private static boolean isTrainingEpisode(Alert alert) {
        return (alert.type() == AlertType.loss_spike || alert.type() == AlertType.divergence)
                && alert.severity() != Severity.info;
    }

    private static String cooldownKey(Alert alert) {
        return alert.type() + "|" + alert.subject();
    }
}
