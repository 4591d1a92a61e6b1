package io.runwatch.core.training;

import static io.runwatch.core.training.TrainingAlertText.evidence;
import static io.runwatch.core.training.TrainingAlertText.percent;
import static io.runwatch.core.training.TrainingAlertText.rollbackAction;
import static io.runwatch.core.training.TrainingAlertText.rollbackHint;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.Severity;
import io.runwatch.core.training.TrainingState.Baseline;
import io.runwatch.core.training.TrainingState.LossEpisode;
import io.runwatch.core.training.TrainingState.LossExcursion;
import java.util.Arrays;
import java.util.List;

/**
 * Loss spikes, one-step outliers, their rate, and divergence. Works on the log-loss, so every threshold is
 * relative to the run's own level and noise:
 * <ul>
 *   <li>a point more than {@code spikeEnterZ} robust sigmas over the baseline opens an <em>excursion</em>,
 *       measured against the baseline frozen at its onset (the baseline itself moves by clipped steps only);
 *   <li>an excursion becomes a {@code loss_spike} ticket when its last two points both rose at least
 *       {@code spikeMinRise} and either both reach {@code spikeConfirmZ} or it is three points long;
 *   <li>an excursion of one point is a bad batch: counted, reported as info;
 *   <li>an open spike resolves after two points back at the pre-spike level, and escalates to a
 *       {@code divergence} page when the loss keeps climbing, makes no progress back for
 *       {@code recoveryProgressSteps}, or is not back within the recovery window (unless it is a level
 *       shift: less than {@code spikeMinRise} up and never higher, which resolves instead);
 *   <li>a slow rise of the smoothed loss over its best level pages as divergence without any spike.
 * </ul>
 */
final class LossSpikeDetector {
    private static final double LEVEL_ALPHA = 0.1;
    private static final double SCALE_ALPHA = 0.05;
    /** Holt's trend gain: the slope follows over ~100 logged steps, too slowly to chase a spike. */
    private static final double TREND_ALPHA = 0.1;
    /** While a spike is open the pre-spike slope is extrapolated with this damping per logged step. */
    private static final double TREND_DAMPING = 0.97;
    /**
     * The smoothed loss within this many pre-spike sigmas of the pre-spike level counts as recovered. Judged on
     * the smoothed excess (noise ~0.4 sigma), so a loss that settles a few sigmas higher is seen as such.
     */
    private static final double RECOVERED_Z = 1.0;
    private static final int RECOVERED_POINTS = 2;
    private static final double EPISODE_SMOOTHING = 0.3;
    /** "Keeps climbing" is judged only after this many logged steps, against the fifth. */
    private static final long CLIMB_MIN_STEPS = 10;
    /**
     * Logged steps of raw excess over which a steady rise is measured: all of them at least three steps after
     * confirmation, past the multi-step rise of a benign spike (BLOOM's took four).
     */
    static final int RISE_WINDOW = 8;
    /** t-statistic of the least-squares slope over the window that counts as a steady rise, not noise. */
    private static final double RISE_T = 4.0;
    /**
     * Logged steps over which progress back is measured: short enough that a benign spike which rose slowly and
     * held a while is judged on its way down, long enough for a robust slope (about 1 sigma of error).
     */
    static final int PROGRESS_WINDOW = 10;
    /** Logged steps of raw excess an episode keeps. */
    static final int EXCESS_HISTORY = Math.max(RISE_WINDOW, PROGRESS_WINDOW);
    /**
     * Progress back is measurable when the fitted decline over the progress window is at least this many of
     * its standard errors and at least {@link #PROGRESS_FRACTION} of the excess: a spike that sheds less than
     * a tenth of its height in ten steps would not be back within the recovery window either.
     */
    private static final double PROGRESS_Z = 2.0;
    private static final double PROGRESS_FRACTION = 0.1;
    private static final double RATE_ALPHA = 1.0 / 1000;
    /** The spike rate is judged only once it has seen this many logged steps. */
    private static final long RATE_MIN_SAMPLES = 200;
    /** The slow level (~50 logged steps) of the smoothed loss: its noise is small next to a 10% drift. */
    private static final double SLOW_ALPHA = 0.02;
    /** Logged steps by which the slow level lags the level on a steady slope. */
    private static final double SLOW_LAG = (1 - SLOW_ALPHA) / SLOW_ALPHA;

    private final TrainingSettings settings;

    LossSpikeDetector(TrainingSettings settings) {
        this.settings = settings;
    }

    void onLoss(TrainingState state, MetricPoint point, double logLoss, List<Alert> out) {
        Baseline baseline = state.baseline;
        RobustLevel level = baseline.loss;
        baseline.loggedSteps++;
        if (level.samples < settings.warmupSteps()) {
            level.update(logLoss, LEVEL_ALPHA, TREND_ALPHA, SCALE_ALPHA, settings.spikeEnterZ());
            baseline.slowLossLevel = level.level;
            state.lastCalmStep = point.step();
            return;
        }
        if (state.lossEpisode != null && state.lossEpisode.slowDrift) {
            level.update(logLoss, LEVEL_ALPHA, TREND_ALPHA, SCALE_ALPHA, settings.spikeEnterZ());
            baseline.slowLossLevel += SLOW_ALPHA * (level.level - baseline.slowLossLevel);
            if (baseline.slowLossLevel - state.lossEpisode.baseLevel
                    <= Math.log1p(settings.slowDivergenceRise()) / 2) {
                resolveEpisode(state, state.lossEpisode, point, logLoss, out);
            }
            return;
        }
        if (state.lossEpisode != null) {
            continueEpisode(state, state.lossEpisode, point, logLoss, out);
            return;
        }
        LossExcursion excursion = state.lossExcursion;
        double baseLevel = excursion != null ? excursion.baseLevel : level.forecast();
        double baseSigma = excursion != null ? excursion.baseSigma : level.sigma();
        double excess = logLoss - baseLevel;
        double z = excess / baseSigma;
        if (z > settings.spikeEnterZ()) {
            if (excursion == null) {
                excursion = startExcursion(state, point.step(), level);
            }
            addPoint(excursion, z, excess);
            if (isConfirmedSpike(excursion)) {
                openSpike(state, excursion, point, logLoss, out);
                return;
            }
            level.update(logLoss, LEVEL_ALPHA, TREND_ALPHA, SCALE_ALPHA, settings.spikeEnterZ());
            return;
        }
        boolean outlier = excursion != null && endExcursion(state, excursion, point, out);
        countRate(state, point, outlier, out);
        level.update(logLoss, LEVEL_ALPHA, TREND_ALPHA, SCALE_ALPHA, settings.spikeEnterZ());
        state.lastCalmStep = point.step();
        trackSlowDrift(state, point, logLoss, out);
    }

    private LossExcursion startExcursion(TrainingState state, long step, RobustLevel level) {
        LossExcursion excursion = new LossExcursion();
        excursion.onsetStep = step;
        excursion.lastCalmStepBefore = state.lastCalmStep;
        excursion.baseLevel = level.forecast();
        excursion.baseLevelBefore = level.level;
        excursion.baseTrend = level.trend;
        excursion.baseMeanAbsDeviation = level.meanAbsDeviation;
        excursion.baseSigma = level.sigma();
        state.lossExcursion = excursion;
        return excursion;
    }

    private static void addPoint(LossExcursion excursion, double z, double excess) {
        excursion.points++;
        excursion.previousZ = excursion.lastZ;
        excursion.previousExcess = excursion.lastExcess;
        excursion.lastZ = z;
        excursion.lastExcess = excess;
        excursion.peakZ = Math.max(excursion.peakZ, z);
        excursion.peakExcess = Math.max(excursion.peakExcess, excess);
    }

    /** Two points in a row tell a spike from a bad batch; both must be a real rise, not a level shift. */
    private boolean isConfirmedSpike(LossExcursion excursion) {
        if (excursion.points < 2) {
            return false;
        }
        double minRise = Math.log1p(settings.spikeMinRise());
        boolean bothRose = excursion.lastExcess >= minRise && excursion.previousExcess >= minRise;
        boolean bothHigh = excursion.lastZ >= settings.spikeConfirmZ()
                && excursion.previousZ >= settings.spikeConfirmZ();
        return bothRose && (bothHigh || excursion.points >= 3);
    }

    private void openSpike(TrainingState state, LossExcursion excursion, MetricPoint point, double logLoss,
                           List<Alert> out) {
        // Undo the clipped updates the excursion made: the episode is judged against the pre-spike baseline.
        state.baseline.loss.level = excursion.baseLevelBefore;
        state.baseline.loss.trend = excursion.baseTrend;
        state.baseline.loss.meanAbsDeviation = excursion.baseMeanAbsDeviation;
        state.lossExcursion = null;

        LossEpisode episode = new LossEpisode();
        episode.onsetStep = excursion.onsetStep;
        episode.confirmedAtStep = point.step();
        episode.baseLevel = excursion.baseLevel;
        episode.baseSigma = excursion.baseSigma;
        episode.baseTrend = Math.max(excursion.baseTrend, steadySlope(state.baseline));
        episode.smoothedExcess = (excursion.lastExcess + excursion.previousExcess) / 2;
        episode.peakSmoothedExcess = episode.smoothedExcess;
        episode.peakLoss = Math.exp(excursion.baseLevel + excursion.peakExcess);
        episode.recordConfirmingExcess(excursion.previousExcess, excursion.lastExcess);
        // A two-point spike is at least as high as its lower point; one bad batch cannot make it higher.
        episode.robustPeakExcess = Math.min(excursion.previousExcess, excursion.lastExcess);
        episode.rollbackToStep = state.rollbackTarget(excursion.onsetStep,
                excursion.lastCalmStepBefore);
        state.lossEpisode = episode;

        double baselineLoss = Math.exp(excursion.baseLevel);
        double loss = Math.exp(logLoss);
        double height = Math.expm1(excursion.peakExcess);
        Alert alert = Alert.firing(point.run(), AlertType.loss_spike, Severity.ticket, excursion.onsetStep)
                .detectedAt(point.step(), point.timeMs())
                .metric("loss")
                .value(loss)
                .threshold(baselineLoss * Math.exp(settings.spikeEnterZ() * excursion.baseSigma))
                .rollbackTo(episode.rollbackToStep)
                .summary(String.format("Loss spike on run %s since step %d: loss %.4g is %s over its expected %.4g "
                                + "(z=%.1f); if it is not back within %d logged steps this pages as divergence%s.",
                        point.run(), excursion.onsetStep, loss, percent(height), baselineLoss, excursion.peakZ,
                        settings.recoveryWindowSteps(), rollbackHint(episode.rollbackToStep)))
                .details(evidence("height", height, "baseline_loss", baselineLoss, "z", excursion.peakZ,
                        "noise_sigma_rel", excursion.baseSigma, "points", (double) excursion.points))
                .build();
        episode.spikeId = alert.id();
        out.add(alert);
    }

    /**
     * The pre-spike slope from the lag of the slow level behind the level: about ten times less noisy than
     * Holt's trend, which, extrapolated over a recovery window, can put the expected loss a sigma or two too
     * low and make a recovered loss look stuck up. On a flattening curve it is steeper than the current slope,
     * so the shallower of the two is extrapolated: an expected drop too small errs towards a ticket, not a page.
     */
    private static double steadySlope(Baseline baseline) {
        return (baseline.loss.level - baseline.slowLossLevel) / SLOW_LAG;
    }

    private void continueEpisode(TrainingState state, LossEpisode episode, MetricPoint point, double logLoss,
                                 List<Alert> out) {
        episode.loggedSinceConfirm++;
        // Where the loss would be without the spike: it was still falling, at a damped pre-spike slope.
        episode.expectedDrop = episode.expectedDrop * TREND_DAMPING + Math.min(0, episode.baseTrend);
        double excess = logLoss - (episode.baseLevel + episode.expectedDrop);
        episode.recordExcess(excess);
        updateRobustPeak(episode);
        episode.smoothedExcess += EPISODE_SMOOTHING * (excess - episode.smoothedExcess);
        boolean newPeak = episode.smoothedExcess > episode.peakSmoothedExcess;
        episode.peakSmoothedExcess = Math.max(episode.peakSmoothedExcess, episode.smoothedExcess);
        episode.peakLoss = Math.max(episode.peakLoss, Math.exp(logLoss));
        if (episode.loggedSinceConfirm == 5) {
            episode.smoothedExcessAtFifth = episode.smoothedExcess;
        }
        episode.calmPoints = episode.smoothedExcess <= RECOVERED_Z * episode.baseSigma ? episode.calmPoints + 1 : 0;
        if (episode.calmPoints >= RECOVERED_POINTS) {
            resolveEpisode(state, episode, point, logLoss, out);
            return;
        }
        if (episode.divergent()) {
            return;
        }
        if (isClimbing(episode, newPeak)) {
            escalate(state, episode, point, logLoss, "keeps climbing", out);
        } else if (isNotRecovering(episode)) {
            escalate(state, episode, point, logLoss, "not recovering", out);
        } else if (episode.loggedSinceConfirm >= settings.recoveryWindowSteps()) {
            if (isLevelShift(episode)) {
                resolveAsLevelShift(state, episode, point, logLoss, out);
                return;
            }
            boolean cameDown = episode.smoothedExcess <= episode.peakSmoothedExcess / 2;
            escalate(state, episode, point, logLoss, cameDown ? "incomplete recovery" : "did not recover", out);
        }
    }

    /**
     * At the end of the recovery window: the loss sits less than the minimum rise above its pre-spike level and
     * never stood a minimum rise above where it sits now, one bad batch aside. Nothing came down, so there is
     * no incomplete recovery: the spike was a small step up (a data-mix change) that a bad batch made look
     * like a spike.
     */
    private boolean isLevelShift(LossEpisode episode) {
        double minRise = Math.log1p(settings.spikeMinRise());
        return episode.smoothedExcess < minRise && episode.robustPeakExcess - episode.smoothedExcess < minRise;
    }

    /** Highest median of three consecutive raw excesses: a single bad batch cannot raise it. */
    private static void updateRobustPeak(LossEpisode episode) {
        double a = episode.excessAgo(0);
        double b = episode.excessAgo(1);
        double c = episode.excessAgo(2);
        double median = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
        episode.robustPeakExcess = Math.max(episode.robustPeakExcess, median);
    }

    /**
     * The loss is still going up, ten logged steps after the spike was confirmed: either it rose steadily over
     * the last {@value #RISE_WINDOW} points (a significant slope worth at least the minimum rise), or its
     * smoothed excess grew by half again since the fifth step (slow climbs).
     */
    private boolean isClimbing(LossEpisode episode, boolean newPeak) {
        if (!newPeak || episode.loggedSinceConfirm < CLIMB_MIN_STEPS) {
            return false;
        }
        double minRise = Math.log1p(settings.spikeMinRise());
        if (isRisingSteadily(episode, minRise)) {
            return true;
        }
        double climbedSinceFifth = episode.smoothedExcess - episode.smoothedExcessAtFifth;
        return climbedSinceFifth >= Math.max(minRise, 0.5 * episode.smoothedExcessAtFifth);
    }

    /** Least-squares slope of the raw excess over the window, oldest first: rise and t-statistic. */
    private static boolean isRisingSteadily(LossEpisode episode, double minRise) {
        int n = RISE_WINDOW;
        double[] y = lastExcess(episode, n);
        double meanX = (n - 1) / 2.0;
        double meanY = 0;
        for (double v : y) {
            meanY += v / n;
        }
        double sxx = 0;
        double sxy = 0;
        for (int x = 0; x < n; x++) {
            sxx += (x - meanX) * (x - meanX);
            sxy += (x - meanX) * (y[x] - meanY);
        }
        double slope = sxy / sxx;
        double residuals = 0;
        for (int x = 0; x < n; x++) {
            double r = y[x] - meanY - slope * (x - meanX);
            residuals += r * r;
        }
        double slopeError = Math.sqrt(residuals / (n - 2) / sxx);
        return slope * (n - 1) >= minRise && slope >= RISE_T * slopeError;
    }

    /**
     * From {@code recoveryProgressSteps} logged steps after confirmation: no measurable progress back over the
     * last {@value #PROGRESS_WINDOW} logged steps while the loss is still over half its peak and far above its
     * pre-spike level. A benign spike is on its way down by then; one that is not would miss the recovery
     * window anyway, so there is no reason to wait for it. The robust (Theil–Sen) slope ignores single bad
     * batches on the way down.
     */
    private boolean isNotRecovering(LossEpisode episode) {
        int n = Math.min(PROGRESS_WINDOW, episode.recentExcess.length);
        if (episode.loggedSinceConfirm < Math.max(n, settings.recoveryProgressSteps())) {
            return false;
        }
        double farUp = Math.max(Math.log1p(settings.spikeMinRise()), settings.spikeConfirmZ() * episode.baseSigma);
        if (episode.smoothedExcess < episode.peakSmoothedExcess / 2 || episode.smoothedExcess < farUp) {
            return false;
        }
        double[] y = lastExcess(episode, n);
        double slope = theilSenSlope(y);
        double[] offsets = new double[n];
        for (int x = 0; x < n; x++) {
            offsets[x] = y[x] - slope * x;
        }
        double intercept = median(offsets);
        double[] deviations = new double[n];
        for (int x = 0; x < n; x++) {
            deviations[x] = Math.abs(offsets[x] - intercept);
        }
        double sigma = Math.max(episode.baseSigma, 1.4826 * median(deviations));
        double declineError = sigma * (n - 1) * Math.sqrt(12.0 / (n * ((double) n * n - 1)));
        double decline = -slope * (n - 1);
        return decline < Math.max(PROGRESS_Z * declineError, PROGRESS_FRACTION * episode.smoothedExcess);
    }

    /** The raw excess of the last {@code n} logged steps, oldest first. */
    private static double[] lastExcess(LossEpisode episode, int n) {
        double[] y = new double[n];
        for (int x = 0; x < n; x++) {
            y[x] = episode.excessAgo(n - 1 - x);
        }
        return y;
    }

    private static double theilSenSlope(double[] y) {
        double[] slopes = new double[y.length * (y.length - 1) / 2];
        int k = 0;
        for (int i = 0; i < y.length; i++) {
            for (int j = i + 1; j < y.length; j++) {
                slopes[k++] = (y[j] - y[i]) / (j - i);
            }
        }
        return median(slopes);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private void escalate(TrainingState state, LossEpisode episode, MetricPoint point, double logLoss, String why,
                          List<Alert> out) {
        double baselineLoss = Math.exp(episode.baseLevel);
        double loss = Math.exp(logLoss);
        double gap = Math.expm1(episode.smoothedExcess);
        out.add(Alert.firing(point.run(), AlertType.loss_spike, Severity.ticket, episode.onsetStep)
                .build()
                .resolvedAt(point.step(), point.timeMs(), "Loss spike since step " + episode.onsetStep
                        + " escalated to divergence (" + why + ") at step " + point.step() + "."));
        String what = switch (why) {
            case "keeps climbing" -> String.format("the loss keeps climbing (now %.4g, %s over its pre-spike %.4g)",
                    loss, percent(gap), baselineLoss);
            case "not recovering" -> String.format("the loss is not coming back: no progress over the last %d "
                    + "logged steps, %d after the spike (now %.4g, %s over its pre-spike %.4g)", PROGRESS_WINDOW,
                    episode.loggedSinceConfirm, loss, percent(gap), baselineLoss);
            case "incomplete recovery" -> String.format("the loss recovered only partly: it settled at %.4g, "
                    + "%s above its pre-spike %.4g after %d logged steps", Math.exp(episode.baseLevel
                    + episode.smoothedExcess), percent(gap), baselineLoss, episode.loggedSinceConfirm);
            default -> String.format("the loss is not back after %d logged steps (now %.4g, %s over its "
                    + "pre-spike %.4g)", episode.loggedSinceConfirm, loss, percent(gap), baselineLoss);
        };
        Alert divergence = Alert.firing(point.run(), AlertType.divergence, Severity.page, episode.onsetStep)
                .detectedAt(point.step(), point.timeMs())
                .metric("loss")
                .value(loss)
                .threshold(baselineLoss * Math.exp(RECOVERED_Z * episode.baseSigma))
                .rollbackTo(episode.rollbackToStep)
                .related(episode.spikeId)
                .summary(String.format("Run %s is diverging since step %d: %s; %s.", point.run(), episode.onsetStep,
                        what, rollbackAction(episode.rollbackToStep)))
                .details(evidence("recovery_gap", gap, "baseline_loss", baselineLoss, "peak_loss", episode.peakLoss,
                        "logged_steps_since_onset", (double) episode.loggedSinceConfirm + 1,
                        "climbing", why.equals("keeps climbing") ? 1.0 : 0.0))
                .build();
        episode.divergenceId = divergence.id();
        out.add(divergence);
    }

    private void resolveEpisode(TrainingState state, LossEpisode episode, MetricPoint point, double logLoss,
                                List<Alert> out) {
        String why = String.format("Loss is back to its pre-spike level at step %d (%.4g vs %.4g).",
                point.step(), Math.exp(logLoss), Math.exp(episode.baseLevel));
        AlertType type = episode.divergent() ? AlertType.divergence : AlertType.loss_spike;
        Severity severity = episode.divergent() ? Severity.page : Severity.ticket;
        out.add(Alert.firing(point.run(), type, severity, episode.onsetStep).build()
                .resolvedAt(point.step(), point.timeMs(), why));
        state.lossEpisode = null;
        state.lastCalmStep = point.step();
        // The slope from before the episode is stale; restart from the pre-spike level without it.
        state.baseline.loss.level = Math.min(state.baseline.loss.level, episode.baseLevel);
        state.baseline.loss.flatten();
        state.baseline.loss.update(logLoss, LEVEL_ALPHA, TREND_ALPHA, SCALE_ALPHA, settings.spikeEnterZ());
    }

    private void resolveAsLevelShift(TrainingState state, LossEpisode episode, MetricPoint point, double logLoss,
                                     List<Alert> out) {
        double settledLevel = episode.baseLevel + episode.expectedDrop + episode.smoothedExcess;
        String why = String.format("The loss settled %s above its pre-spike level at step %d: less than the "
                        + "minimum rise, and it never stood that much higher (one bad batch aside), so nothing came "
                        + "down: a level shift, not a divergence.",
                percent(Math.expm1(episode.smoothedExcess)), point.step());
        out.add(Alert.firing(point.run(), AlertType.loss_spike, Severity.ticket, episode.onsetStep).build()
                .resolvedAt(point.step(), point.timeMs(), why));
        state.lossEpisode = null;
        state.lastCalmStep = point.step();
        // The run continues from the new level.
        state.baseline.loss.level = settledLevel;
        state.baseline.loss.flatten();
        state.baseline.loss.update(logLoss, LEVEL_ALPHA, TREND_ALPHA, SCALE_ALPHA, settings.spikeEnterZ());
    }

    /** Ends an excursion that was not confirmed; returns whether it was a one-step outlier (a bad batch). */
    private boolean endExcursion(TrainingState state, LossExcursion excursion, MetricPoint point, List<Alert> out) {
        state.lossExcursion = null;
        boolean outlier = excursion.points == 1 && excursion.peakZ >= settings.spikeConfirmZ()
                && excursion.peakExcess >= Math.log1p(settings.spikeMinRise());
        if (!outlier) {
            return false;
        }
        state.lossOutliers++;
        double height = Math.expm1(excursion.peakExcess);
        Alert info = Alert.firing(point.run(), AlertType.loss_spike, Severity.info, excursion.onsetStep)
                .detectedAt(point.step(), point.timeMs())
                .metric("loss")
                .value(Math.exp(excursion.baseLevel + excursion.peakExcess))
                .threshold(Math.exp(excursion.baseLevel + settings.spikeConfirmZ() * excursion.baseSigma))
                .summary(String.format("One-step loss outlier on run %s at step %d (%s, z=%.1f), gone at the next "
                                + "logged step: a bad batch, counted in the spike rate; no action needed.",
                        point.run(), excursion.onsetStep, percent(height), excursion.peakZ))
                .details(evidence("height", height, "baseline_loss", Math.exp(excursion.baseLevel),
                        "z", excursion.peakZ, "outliers_total", (double) state.lossOutliers))
                .build();
        out.add(info);
        out.add(info.resolvedAt(point.step(), point.timeMs(), "The loss was back at the next logged step."));
        return true;
    }

    /** Bad batches are normal; a rising rate of them is worth a look in working hours. */
    private void countRate(TrainingState state, MetricPoint point, boolean outlier, List<Alert> out) {
        state.outlierRateSamples++;
        state.outlierRateEma += RATE_ALPHA * ((outlier ? 1.0 : 0.0) - state.outlierRateEma);
        double rate = state.spikeRatePer1000();
        double limit = settings.spikeRateTicketPer1000();
        if (state.openSpikeRateId == null && state.outlierRateSamples >= RATE_MIN_SAMPLES && rate >= limit) {
            Alert alert = Alert.firing(point.run(), AlertType.loss_spike, Severity.ticket, point.step())
                    .id(Alert.episodeId(point.run(), AlertType.loss_spike, "rate", point.step()))
                    .detectedAt(point.step(), point.timeMs())
                    .metric("loss_spike_rate")
                    .value(rate)
                    .threshold(limit)
                    .summary(String.format("Bad-batch rate on run %s is rising: %.1f one-step loss outliers per "
                                    + "1000 logged steps at step %d (ticket at %.0f); check the data pipeline "
                                    + "and the learning rate.", point.run(), rate, point.step(), limit))
                    .details(evidence("rate_per_1000", rate, "outliers_total", (double) state.lossOutliers))
                    .build();
            state.openSpikeRateId = alert.id();
            state.spikeRateOnsetStep = point.step();
            out.add(alert);
        } else if (state.openSpikeRateId != null && rate <= limit / 2) {
            out.add(Alert.firing(point.run(), AlertType.loss_spike, Severity.ticket, state.spikeRateOnsetStep)
                    .id(state.openSpikeRateId).build()
                    .resolvedAt(point.step(), point.timeMs(), String.format(
                            "Bad-batch rate is down to %.1f per 1000 logged steps.", rate)));
            state.openSpikeRateId = null;
            state.spikeRateOnsetStep = -1;
        }
    }

    /** A loss that creeps up without any single spike: compare its slow level with its best so far. */
    private void trackSlowDrift(TrainingState state, MetricPoint point, double logLoss, List<Alert> out) {
        Baseline baseline = state.baseline;
        baseline.slowLossLevel += SLOW_ALPHA * (baseline.loss.level - baseline.slowLossLevel);
        double level = baseline.slowLossLevel;
        if (Double.isNaN(baseline.bestLossLevel) || level <= baseline.bestLossLevel) {
            baseline.bestLossLevel = level;
            baseline.firstStepAfterBest = -1;
            return;
        }
        if (baseline.firstStepAfterBest < 0) {
            baseline.firstStepAfterBest = point.step();
        }
        if (level - baseline.bestLossLevel < Math.log1p(settings.slowDivergenceRise())) {
            return;
        }
        LossEpisode episode = new LossEpisode();
        episode.slowDrift = true;
        episode.onsetStep = baseline.firstStepAfterBest;
        episode.confirmedAtStep = point.step();
        episode.baseLevel = baseline.bestLossLevel;
        episode.baseSigma = baseline.loss.sigma();
        episode.smoothedExcess = level - baseline.bestLossLevel;
        episode.peakSmoothedExcess = episode.smoothedExcess;
        episode.peakLoss = Math.exp(logLoss);
        episode.rollbackToStep = state.rollbackTarget(episode.onsetStep,
                episode.onsetStep - state.stepInterval);
        double best = Math.exp(baseline.bestLossLevel);
        double rise = Math.expm1(episode.smoothedExcess);
        Alert divergence = Alert.firing(point.run(), AlertType.divergence, Severity.page, episode.onsetStep)
                .detectedAt(point.step(), point.timeMs())
                .metric("loss")
                .value(Math.exp(level))
                .threshold(best * (1 + settings.slowDivergenceRise()))
                .rollbackTo(episode.rollbackToStep)
                .summary(String.format("Run %s is slowly diverging: its smoothed loss rose %s above its best %.4g "
                                + "since step %d (now %.4g); %s.", point.run(), percent(rise), best,
                        episode.onsetStep, Math.exp(level), rollbackAction(episode.rollbackToStep)))
                .details(evidence("recovery_gap", rise, "baseline_loss", best, "smoothed_loss", Math.exp(level),
                        "climbing", 1.0))
                .build();
        episode.divergenceId = divergence.id();
        state.lossEpisode = episode;
        out.add(divergence);
    }
}
