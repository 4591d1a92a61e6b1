package io.runwatch.core.training;

/**
 * Knobs of the training-health detectors. Built from {@code io.runwatch.config.Settings}, where every
 * default is documented. All counts are in <em>logged</em> steps (records), so that a run logged every 10
 * steps behaves like one logged every step.
 *
 * @param warmupSteps             logged steps before any statistical alert (non-finite values always page)
 * @param spikeEnterZ             robust z of the log-loss over its baseline that opens a candidate spike
 * @param spikeConfirmZ           z that two consecutive points must reach to confirm a spike early, and that
 *                                a one-step outlier must reach to be counted as one
 * @param spikeMinRise            minimum relative rise (0.04 = 4%) for a spike or an outlier
 * @param recoveryWindowSteps     recovery horizon: an open spike pages once its rate of progress back would not
 *                                bring it to its pre-spike trend within this many logged steps
 * @param recoveryProgressSteps   logged steps after a spike's onset before its progress back is judged
 * @param slowDivergenceRise      relative rise of the smoothed loss over its best level that pages as divergence
 * @param spikeRateTicketPer1000  one-step outliers per 1000 logged steps above which a ticket is raised
 * @param gradSpikeZ              robust z of the log gradient norm that opens a gradient-norm spike
 * @param gradPersistSteps        logged steps a gradient-norm spike must last to become a ticket
 * @param precursorCollapseDecades drop of a group's gradient norm below its usual level (decades) that warns
 * @param precursorUpdateRms      update RMS / LR of a group (smoothed) at which updates count as sign-like
 * @param reorderToleranceSteps   a step this many logged intervals behind the newest is late, not a restart
 * @param snapshotIntervalSteps   logged steps between baseline snapshots kept for rewinds
 * @param spikeMaxRiseSteps       longest rise of a benign spike; a steady climb past it pages at once
 * @param divergenceFastRise      relative height over the pre-spike level that pages at once (3.0 = x4)
 * @param recoveryNoiseZ          a stopped loss within this many noise sigmas of its pre-spike trend has recovered
 * @param spikeCumulativeZ        sum of the residual z-scores (less a reference of 0.5 each, against the baseline
 *                                frozen where they turned positive) that, with two logged steps the minimum rise
 *                                up, tickets a slow rise as a spike
 * @param notTraining             when a run has stopped learning: skipped steps, loss scale, frozen or collapsed
 *                                loss, blow-up (see {@link NotTrainingSettings})
 */
public record TrainingSettings(
        long warmupSteps,
        double spikeEnterZ,
        double spikeConfirmZ,
        double spikeMinRise,
        long recoveryWindowSteps,
        long recoveryProgressSteps,
        double slowDivergenceRise,
        double spikeRateTicketPer1000,
        double gradSpikeZ,
        long gradPersistSteps,
        double precursorCollapseDecades,
        double precursorUpdateRms,
        long reorderToleranceSteps,
        long snapshotIntervalSteps,
        long spikeMaxRiseSteps,
        double divergenceFastRise,
        double recoveryNoiseZ,
        double spikeCumulativeZ,
        NotTrainingSettings notTraining) {

    /** The catalogue's defaults, for unit tests (the core cannot read config); pinned by CoreDefaultsTest. */
    public static TrainingSettings defaults() {
        return new TrainingSettings(50, 3.0, 6.0, 0.04, 400, 20, 0.10, 20, 6.0, 5, 1.0, 0.8, 5, 100, 12, 3.0, 3.0,
                12.0, NotTrainingSettings.defaults());
    }

    /**
     * Knobs of {@link NotTrainingDetector}. Skip windows are in <em>optimizer</em> steps (a record logged every
     * 10 steps covers 10), the frozen and collapsed counts in logged steps.
     *
     * @param skipWindowSteps      optimizer steps over which the share of skipped steps is measured
     * @param skipFraction         share of skipped steps in that window that means the run is not training
     * @param minLossScale         a loss scale below this has collapsed
     * @param scaleCollapseHalvings halvings of the loss scale below its recent maximum (after the scaler's
     *                             warm-up) that count as a collapse
     * @param minImprovement       relative fall of the loss across a skipping stretch that counts as still
     *                             learning (with 3 standard errors of the noise)
     * @param frozenAlpha          chance per logged step of a false frozen-loss alert on a healthy run
     * @param frozenMinRepeats     fewest identical consecutive losses that can ever count as frozen
     * @param collapsedFloor       a loss in [0, this) is below any language-model cross-entropy
     * @param collapsedSteps       logged steps in a row below the floor that alert
     * @param blowupDecades        decades above where the run started that a finite loss pages at once
     */
    public record NotTrainingSettings(long skipWindowSteps, double skipFraction, double minLossScale,
                                      double scaleCollapseHalvings, double minImprovement, double frozenAlpha,
                                      long frozenMinRepeats, double collapsedFloor, long collapsedSteps,
                                      double blowupDecades) {
        /** The catalogue's defaults (pinned by CoreDefaultsTest). */
        public static NotTrainingSettings defaults() {
            return new NotTrainingSettings(100, 0.5, 1.0, 10, 0.005, 1e-7, 10, 1e-4, 3, 2.0);
        }
    }
}
