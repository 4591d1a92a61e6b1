package io.runwatch.core.training;

import static io.runwatch.core.training.TrainingAlertText.evidence;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.GroupStats;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.Severity;
import io.runwatch.core.training.TrainingState.GroupBaseline;
import io.runwatch.core.training.TrainingState.PrecursorEpisode;
import java.util.List;
import java.util.Map;

/**
 * The precursors of Adam instability (Molybog et al., arXiv 2304.09871), per parameter group, before the loss
 * moves: the group's gradient norm collapsing by orders of magnitude below its usual level (or to within
 * {@value #EPS_MARGIN}× of Adam's epsilon when the start event gave it), and/or its update RMS over the
 * learning rate approaching 1 (sign-like updates).
 */
final class AdamPrecursorDetector {
    private static final double LN10 = Math.log(10);
    /** Fast level: follows a collapse within a few logged steps. */
    private static final double FAST_ALPHA = 0.2;
    /** Usual level: ~100 logged steps, so the normal decline of gradient norms never looks like a collapse. */
    private static final double USUAL_ALPHA = 0.01;
    /** The usual level stops following once the fast level is half a decade below it. */
    private static final double FREEZE_DECADES = 0.5;
    private static final double RMS_ALPHA = 0.2;
    /** A group norm is a sum over many coordinates: within this factor of eps its coordinates are at eps. */
    private static final double EPS_MARGIN = 1000;
    /** Hysteresis: resolve only well below the firing thresholds. */
    private static final double RMS_RESOLVE_MARGIN = 0.1;

    private final TrainingSettings settings;

    AdamPrecursorDetector(TrainingSettings settings) {
        this.settings = settings;
    }

    void onGroups(TrainingState state, MetricPoint point, List<Alert> out) {
        for (Map.Entry<String, GroupStats> entry : point.groups().entrySet()) {
            GroupBaseline group = state.baseline.groups.get(entry.getKey());
            if (group == null) {
                if (state.baseline.groups.size() >= TrainingState.MAX_GROUPS) {
                    continue; // bounded state: extra groups are not watched
                }
                group = new GroupBaseline();
                state.baseline.groups.put(entry.getKey(), group);
            }
            update(group, entry.getValue());
            if (group.samples > settings.warmupSteps()) {
                judge(state, point, entry.getKey(), group, out);
            }
        }
    }

    private static void update(GroupBaseline group, GroupStats stats) {
        group.samples++;
        Double gradNorm = stats.gradNorm();
        if (gradNorm != null && gradNorm > 0 && Double.isFinite(gradNorm)) {
            double value = Math.log(gradNorm);
            group.gradSamples++;
            if (group.gradSamples == 1) {
                group.fastLogGradNorm = value;
                group.usualLogGradNorm = value;
            } else {
                group.fastLogGradNorm += Math.max(FAST_ALPHA, 1.0 / group.gradSamples)
                        * (value - group.fastLogGradNorm);
                if (group.fastLogGradNorm >= group.usualLogGradNorm - FREEZE_DECADES * LN10) {
                    group.usualLogGradNorm += Math.max(USUAL_ALPHA, 1.0 / group.gradSamples)
                            * (value - group.usualLogGradNorm);
                }
            }
        }
        Double rms = stats.updateRmsOverLr();
        if (rms != null && Double.isFinite(rms)) {
            group.rmsSamples++;
            group.updateRmsOverLr += Math.max(RMS_ALPHA, 1.0 / group.rmsSamples) * (rms - group.updateRmsOverLr);
        }
    }

    private void judge(TrainingState state, MetricPoint point, String name, GroupBaseline group, List<Alert> out) {
        double collapseDecades = group.gradSamples > 0
                ? (group.usualLogGradNorm - group.fastLogGradNorm) / LN10 : 0;
        double gradNorm = Math.exp(group.fastLogGradNorm);
        boolean nearEps = state.adamEps > 0 && group.gradSamples > 0 && gradNorm <= state.adamEps * EPS_MARGIN;
        boolean collapsed = collapseDecades >= settings.precursorCollapseDecades() || nearEps;
        boolean signLike = group.rmsSamples > 0 && group.updateRmsOverLr >= settings.precursorUpdateRms();
        PrecursorEpisode open = state.precursors.get(name);
        if (open == null && (collapsed || signLike)) {
            Long rollback = state.rollbackTarget(point.step(), state.lastCalmStep);
            StringBuilder evidenceText = new StringBuilder();
            if (collapsed) {
                evidenceText.append(String.format("its gradient norm fell %.1f decades below its usual %.3g to %.3g",
                        collapseDecades, Math.exp(group.usualLogGradNorm), gradNorm));
                if (state.adamEps > 0) {
                    evidenceText.append(String.format(" (%.0f× adam_eps)", gradNorm / state.adamEps));
                }
            }
            if (signLike) {
                evidenceText.append(collapsed ? " and " : "").append(String.format(
                        "its update RMS over the learning rate is %.2f (sign-like updates)", group.updateRmsOverLr));
            }
            Alert alert = Alert.firing(point.run(), AlertType.adam_precursor, Severity.ticket, point.step())
                    .detectedAt(point.step(), point.timeMs())
                    .group(name)
                    .metric(collapsed ? "group_grad_norm" : "update_rms_over_lr")
                    .value(collapsed ? gradNorm : group.updateRmsOverLr)
                    .threshold(collapsed ? Math.exp(group.usualLogGradNorm) / Math.pow(10,
                            settings.precursorCollapseDecades()) : settings.precursorUpdateRms())
                    .rollbackTo(rollback)
                    .summary(String.format("Adam instability precursor in group '%s' of run %s at step %d: %s; a loss "
                                    + "spike may follow — keep checkpoint %s and consider lowering the learning rate or "
                                    + "raising adam_eps.", name, point.run(), point.step(), evidenceText,
                            rollback == null ? "(none known yet)" : rollback))
                    .details(evidence("collapse_decades", collapseDecades, "group_grad_norm", gradNorm,
                            "usual_group_grad_norm", Math.exp(group.usualLogGradNorm),
                            "update_rms_over_lr", group.updateRmsOverLr, "adam_eps", state.adamEps))
                    .build();
            PrecursorEpisode episode = new PrecursorEpisode();
            episode.id = alert.id();
            episode.onsetStep = point.step();
            state.precursors.put(name, episode);
            out.add(alert);
        } else if (open != null && !nearEps
                && collapseDecades < settings.precursorCollapseDecades() / 2
                && (group.rmsSamples == 0 || group.updateRmsOverLr < settings.precursorUpdateRms()
                - RMS_RESOLVE_MARGIN)) {
            out.add(Alert.firing(point.run(), AlertType.adam_precursor, Severity.ticket, open.onsetStep)
                    .group(name).build()
                    .resolvedAt(point.step(), point.timeMs(), String.format("Group '%s' is healthy again at step %d: "
                            + "gradient norm within %.1f decades of usual, update RMS over LR %.2f.", name,
                            point.step(), collapseDecades, group.updateRmsOverLr)));
            state.precursors.remove(name);
        }
    }
}
