package io.runwatch.core.training;

import static io.runwatch.core.training.TrainingAlertText.evidence;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.Severity;
import io.runwatch.core.training.TrainingState.GradExcursion;
import java.util.List;

/**
 * Jumps of the global gradient norm against the run's own recent (log-space, robust) distribution. A jump
 * opens an excursion that lasts while the norm stays {@value #EXIT_Z} sigmas over the pre-jump level. It
 * becomes a ticket when it persists {@code gradPersistSteps} logged steps or while a loss spike is open;
 * otherwise, once over, it is reported as info.
 */
final class GradNormSpikeDetector {
    private static final double LEVEL_ALPHA = 0.1;
    private static final double SCALE_ALPHA = 0.05;
    private static final double EXIT_Z = 3.0;
    /** Gradient norms are heavy-tailed; a jump must at least be ×1.5 whatever the z. */
    private static final double MIN_RATIO = 1.5;

    private final TrainingSettings settings;

    GradNormSpikeDetector(TrainingSettings settings) {
        this.settings = settings;
    }

    void onGradNorm(TrainingState state, MetricPoint point, double logGradNorm, List<Alert> out) {
        RobustLevel level = state.baseline.gradNorm;
        if (level.samples < settings.warmupSteps()) {
            level.update(logGradNorm, LEVEL_ALPHA, 0, SCALE_ALPHA, EXIT_Z);
            return;
        }
        GradExcursion excursion = state.gradExcursion;
        if (excursion == null) {
            double excess = logGradNorm - level.level;
            if (excess / level.sigma() > settings.gradSpikeZ() && excess >= Math.log(MIN_RATIO)) {
                excursion = new GradExcursion();
                excursion.onsetStep = point.step();
                excursion.baseLevel = level.level;
                excursion.baseSigma = level.sigma();
                excursion.rollbackToStep = state.rollbackTarget(point.step(),
                        state.lastCalmStep);
                state.gradExcursion = excursion;
                extend(state, excursion, point, logGradNorm, out);
            }
            level.update(logGradNorm, LEVEL_ALPHA, 0, SCALE_ALPHA, EXIT_Z);
            return;
        }
        if ((logGradNorm - excursion.baseLevel) / excursion.baseSigma > EXIT_Z) {
            extend(state, excursion, point, logGradNorm, out);
        } else {
            end(state, excursion, point, out);
        }
        level.update(logGradNorm, LEVEL_ALPHA, 0, SCALE_ALPHA, EXIT_Z);
    }

    private void extend(TrainingState state, GradExcursion excursion, MetricPoint point, double logGradNorm,
                        List<Alert> out) {
        excursion.points++;
        excursion.peakRatio = Math.max(excursion.peakRatio, Math.exp(logGradNorm - excursion.baseLevel));
        boolean withLossSpike = state.lossEpisode != null;
        if (excursion.ticketId == null && (excursion.points >= settings.gradPersistSteps() || withLossSpike)) {
            Alert ticket = alert(point, excursion, Severity.ticket, withLossSpike);
            excursion.ticketId = ticket.id();
            out.add(ticket);
        }
    }

    private void end(TrainingState state, GradExcursion excursion, MetricPoint point, List<Alert> out) {
        state.gradExcursion = null;
        String why = "Gradient norm is back near its usual level at step " + point.step() + ".";
        if (excursion.ticketId != null) {
            out.add(Alert.firing(point.run(), AlertType.grad_norm_spike, Severity.ticket, excursion.onsetStep)
                    .build().resolvedAt(point.step(), point.timeMs(), why));
            return;
        }
        // A loss spike confirmed after a one-point jump still makes the jump part of an incident.
        Severity severity = state.lossEpisode != null ? Severity.ticket : Severity.info;
        Alert alert = alert(point, excursion, severity, state.lossEpisode != null);
        out.add(alert);
        out.add(alert.resolvedAt(point.step(), point.timeMs(), why));
    }

    private Alert alert(MetricPoint point, GradExcursion excursion, Severity severity, boolean withLossSpike) {
        double usual = Math.exp(excursion.baseLevel);
        String context = withLossSpike ? "together with a loss spike"
                : excursion.points >= settings.gradPersistSteps()
                ? "and has stayed high for " + excursion.points + " logged steps" : "for " + excursion.points
                + " logged step(s), then came back";
        String action = severity == Severity.info ? "no action needed"
                : "check the batches and the learning rate" + TrainingAlertText.rollbackHint(excursion.rollbackToStep);
        return Alert.firing(point.run(), AlertType.grad_norm_spike, severity, excursion.onsetStep)
                .detectedAt(point.step(), point.timeMs())
                .metric("grad_norm")
                .value(usual * excursion.peakRatio)
                .threshold(usual * Math.exp(settings.gradSpikeZ() * excursion.baseSigma))
                .rollbackTo(severity == Severity.info ? null : excursion.rollbackToStep)
                .summary(String.format("Gradient norm of run %s jumped ×%.1f over its usual %.3g at step %d %s; %s.",
                        point.run(), excursion.peakRatio, usual, excursion.onsetStep, context, action))
                .details(evidence("ratio", excursion.peakRatio, "usual_grad_norm", usual,
                        "points", (double) excursion.points, "with_loss_spike", withLossSpike ? 1.0 : 0.0))
                .build();
    }
}
