package io.runwatch.core.training;

import io.runwatch.core.Alert;
import io.runwatch.core.AlertType;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.Severity;
import io.runwatch.core.training.TrainingSettings.NotTrainingSettings;
import io.runwatch.core.training.TrainingState.NotTrainingEpisode;
import java.math.BigDecimal;
import java.util.List;

/**
 * Mixed precision, and runs that have stopped learning.
 *
 * <p>An fp16 run's loss scaler skips a step on every overflow (a non-finite gradient norm with a finite loss):
 * routine at the start and once per growth interval, so a transient skip is an info notice
 * ({@code skipped_steps}). Skipped steps are counted in optimizer steps (a record covers the steps since the
 * previous one; {@code skipped_steps} counts exactly; a halving of {@code loss_scale} is one overflow; a logged
 * non-finite gradient norm samples its interval), in buckets so that the window is the same whatever the logging
 * interval.
 *
 * <p>{@code not_training} opens when most steps of the window are skipped, when the loss scale has collapsed,
 * when the loss is frozen at one printed value for longer than the run's noise at that precision makes likely,
 * or when it sits at 0 (below any cross-entropy). Skipping pages when the loss has stopped improving across the
 * stretch and is a ticket while it keeps improving (updates reach the model; only the gradient-norm metric is
 * broken). {@code loss_blowup} pages on a finite loss orders of magnitude above where the run started, from the
 * second record on, whatever the gradient norm says. O(1) per record; at most {@link #MAX_BUCKETS} buckets.
 */
final class NotTrainingDetector {
    static final int MAX_BUCKETS = 16;
    /** Buckets per window: the window's resolution in optimizer steps. */
    private static final int BUCKETS_PER_WINDOW = 10;
    /** A window needs this many records, so that sparse logging does not judge on one sampled gradient norm. */
    static final int MIN_WINDOW_RECORDS = 3;
    /** Loss noise (log space) assumed before the run's own baseline has enough samples. */
    private static final double PRIOR_LOG_SIGMA = 0.05;
    private static final long BASELINE_SAMPLES = 10;
    /** Standard errors a fall of the loss must clear to count as improvement. */
    private static final double IMPROVEMENT_SE = 3.0;

    /** Losses in a skipping stretch before it is judged learning or not (the mean of 10 halves the noise thrice). */
    static final int DECISION_LOSSES = 10;
    /**
     * The baseline's forecast as a reference counts as the mean of this many records: an EMA level with weight
     * 0.1 (LossSpikeDetector's) has the variance of a mean of (2 − 0.1) / 0.1 = 19.
     */
    private static final int PRECISE = 19;

    /** The frozen-loss test uses this share of the measured noise: about 1.5 standard errors of a 40-record MAD. */
    private static final double NOISE_LOW_BOUND = 0.8;

    static final String SKIPPING = "skipping";
    static final String LOSS_SCALE = "loss_scale";
    static final String FROZEN = "frozen_loss";
    static final String COLLAPSED = "collapsed_loss";

    private final NotTrainingSettings s;

    NotTrainingDetector(NotTrainingSettings settings) {
        this.s = settings;
    }

    /**
     * Whether a non-finite gradient norm with a finite loss is a skipped step here: the run declared fp16, or
     * logs a loss scale, or did not say (HF Trainer logs no scale). Declared bf16 and fp32 have no scaler; fp8
     * counts as scaled only when it logs a scale.
     */
    static boolean usesLossScaling(TrainingState state, MetricPoint point) {
        if ("bf16".equals(state.precision) || "fp32".equals(state.precision)) {
            return false;
        }
        if ("fp16".equals(state.precision) || state.sawLossScale || point.lossScale() != null) {
            return true;
        }
        return state.precision == null;
    }

    /**
     * Feeds one in-order record (before the non-finite check, which it does not replace).
     *
     * @param covered     optimizer steps since the previous record (1 for the first)
     * @param skippedStep a non-finite gradient norm with a finite loss in a loss-scaled run
     */
    void onRecord(TrainingState st, MetricPoint p, long covered, boolean skippedStep, List<Alert> out) {
        if (st.firstStep < 0) {
            st.firstStep = p.step();
        }
        Double loss = p.loss();
        boolean lossFinite = loss != null && Double.isFinite(loss);

        double halvings = 0;
        Double scale = p.lossScale();
        boolean scaleLogged = scale != null && Double.isFinite(scale) && scale >= 0; // -1 is a placeholder
        if (scaleLogged) {
            if (st.lastLossScale > 0 && scale > 0 && scale < st.lastLossScale) {
                halvings = Math.round(Math.log(st.lastLossScale / scale) / Math.log(2));
            }
            st.sawLossScale = true;
            st.lastLossScale = scale;
        }
        double steps = Math.max(covered, p.skippedSteps() == null ? 1 : p.skippedSteps());
        double counted;
        double estimated;
        if (p.skippedSteps() != null) {
            counted = Math.min(p.skippedSteps(), steps);
            estimated = counted;
        } else {
            counted = Math.max(Math.min(halvings, steps), skippedStep ? 1 : 0);
            // A logged non-finite gradient norm is one sample of its interval: over many records the share of
            // such samples is the share of skipped steps, whatever the logging interval.
            estimated = Math.max(Math.min(halvings, steps), skippedStep ? steps : 0);
        }
        st.skippedStepsTotal += Math.round(counted);
        addToBuckets(st, p, steps, estimated, lossFinite && loss > 0 ? Math.log(loss) : Double.NaN,
                scaleLogged ? scale : Double.NaN);
        Window window = window(st);
        st.skipFraction = window.fraction();

        checkBlowup(st, p, lossFinite, out);
        trackCollapsedAndFrozen(st, p, lossFinite);

        String cause = cause(st, window);
        if (cause != null) {
            openOrEscalate(st, p, cause, window, out);
        } else if (st.notTraining != null && window.fraction() < s.skipFraction() / 2) {
            resolveNotTraining(st, p, "Training again at step " + p.step() + ": "
                    + percent(window.fraction()) + " of recent steps skipped, loss changing.", out);
        }
        notice(st, p, estimated, out);
    }

    /** On a rewind: forget what happened after the resume step, close episodes that began after it. */
    void rewind(TrainingState st, long toStep, String run, long timeMs, String reason, List<Alert> out) {
        st.dropBucketsAfter(toStep);
        if (st.notTraining != null && st.notTraining.onsetStep > toStep) {
            out.add(notTrainingAlert(run, st.notTraining, st.notTraining.onsetStep, timeMs)
                    .resolvedAt(toStep, timeMs, reason));
            st.notTraining = null;
        }
        if (st.openSkipNoticeId != null) {
            out.add(Alert.firing(run, AlertType.skipped_steps, Severity.info, st.skipNoticeOnsetStep).build()
                    .resolvedAt(toStep, timeMs, reason));
            st.openSkipNoticeId = null;
        }
        if (st.openBlowupId != null && st.blowupOnsetStep > toStep) {
            out.add(Alert.firing(run, AlertType.loss_blowup, Severity.page, st.blowupOnsetStep).build()
                    .resolvedAt(toStep, timeMs, reason));
            st.openBlowupId = null;
        }
        st.repeatCount = 0;
        st.repeatedLoss = Double.NaN;
        st.collapsedCount = 0;
    }

    // ---- the skip window -----------------------------------------------------------------------------------

    private void addToBuckets(TrainingState st, MetricPoint p, double steps, double skipped, double logLoss,
                              double scale) {
        double bucketSteps = Math.max(1.0, s.skipWindowSteps() / (double) BUCKETS_PER_WINDOW);
        int n = st.buckets();
        if (n == 0 || st.bucketSteps[n - 1] >= bucketSteps) {
            st.addBucket(p.step(), Double.NaN, MAX_BUCKETS);
            n = st.buckets();
        }
        int b = n - 1;
        if (skipped > 0 && st.bucketSkipped[b] == 0 && st.baseline.loss.samples >= BASELINE_SAMPLES) {
            st.bucketBaselineLogLoss[b] = st.baseline.loss.forecast(); // where the loss stood when skipping began
        }
        st.bucketSteps[b] += steps;
        st.bucketSkipped[b] += skipped;
        st.bucketRecords[b]++;
        if (!Double.isNaN(logLoss)) {
            st.bucketSumLogLoss[b] += logLoss;
            st.bucketLosses[b]++;
        }
        if (!Double.isNaN(scale)) {
            st.bucketMaxLossScale[b] = Math.max(st.bucketMaxLossScale[b], scale);
        }
    }

    /** The newest buckets covering the window; {@code from} is the oldest bucket in it. */
    private record Window(int from, double steps, double skipped, boolean full) {
        double fraction() {
            return steps > 0 ? skipped / steps : 0;
        }
    }

    private Window window(TrainingState st) {
        double steps = 0;
        double skipped = 0;
        int records = 0;
        int from = st.buckets();
        for (int i = st.buckets() - 1; i >= 0; i--) {
            steps += st.bucketSteps[i];
            skipped += st.bucketSkipped[i];
            records += st.bucketRecords[i];
            from = i;
            if (steps >= s.skipWindowSteps() && records >= MIN_WINDOW_RECORDS) {
                return new Window(from, steps, skipped, true);
            }
        }
        return new Window(from, steps, skipped, false);
    }

    /** Mean log-loss of the older and the newer half (by optimizer steps) of buckets {@code from..end}. */
    private record Halves(double olderMean, int olderCount, double newerMean, int newerCount) {
    }

    private static Halves halves(TrainingState st, int from) {
        double total = 0;
        for (int i = from; i < st.buckets(); i++) {
            total += st.bucketSteps[i];
        }
        double seen = 0;
        double olderSum = 0;
        double newerSum = 0;
        int olderCount = 0;
        int newerCount = 0;
        for (int i = from; i < st.buckets(); i++) {
            if (seen + st.bucketSteps[i] / 2 <= total / 2) {
                olderSum += st.bucketSumLogLoss[i];
                olderCount += st.bucketLosses[i];
            } else {
                newerSum += st.bucketSumLogLoss[i];
                newerCount += st.bucketLosses[i];
            }
            seen += st.bucketSteps[i];
        }
        return new Halves(olderCount == 0 ? Double.NaN : olderSum / olderCount, olderCount,
                newerCount == 0 ? Double.NaN : newerSum / newerCount, newerCount);
    }

    /** First bucket of the window that skipped anything: where the skipping stretch began. */
    private static int stretchStart(TrainingState st, int from) {
        for (int i = from; i < st.buckets(); i++) {
            if (st.bucketSkipped[i] > 0) {
                return i;
            }
        }
        return from;
    }

    /** Whether the loss has fallen from the reference by more than its noise and the minimum improvement. */
    private boolean improving(TrainingState st, double referenceMean, int referenceCount, double newerMean,
                              int newerCount) {
        st.lossFallAcrossSkipping = referenceMean - newerMean;
        if (referenceCount == 0 || newerCount == 0 || Double.isNaN(referenceMean)) {
            st.lossFallNeeded = Double.NaN;
            return false; // no loss to show progress: assume none
        }
        double sigma = st.baseline.loss.samples >= BASELINE_SAMPLES ? st.baseline.loss.sigma() : PRIOR_LOG_SIGMA;
        st.lossFallNeeded = Math.max(IMPROVEMENT_SE * sigma * Math.sqrt(1.0 / referenceCount + 1.0 / newerCount),
                Math.log1p(s.minImprovement()));
        return st.lossFallAcrossSkipping > st.lossFallNeeded;
    }

    // ---- causes --------------------------------------------------------------------------------------------

    private String cause(TrainingState st, Window window) {
        if (st.collapsedCount >= s.collapsedSteps()) {
            return COLLAPSED;
        }
        if (st.repeatCount >= frozenRepeatsNeeded(st)) {
            return FROZEN;
        }
        if (scaleCollapsed(st, window)) {
            return LOSS_SCALE;
        }
        if (window.full() && window.fraction() >= s.skipFraction()) {
            return SKIPPING;
        }
        return null;
    }

    /** Below the minimum, or down by the collapse halvings from its maximum since the scaler's warm-up. */
    private boolean scaleCollapsed(TrainingState st, Window window) {
        if (!(st.lastLossScale >= 0)) {
            return false;
        }
        if (st.lastLossScale < s.minLossScale()) {
            return true;
        }
        double max = 0;
        for (int i = window.from(); i < st.buckets(); i++) {
            if (st.bucketFirstStep[i] >= st.firstStep + s.skipWindowSteps()) {
                max = Math.max(max, st.bucketMaxLossScale[i]);
            }
        }
        return max > 0 && Math.log(max / st.lastLossScale) / Math.log(2) >= s.scaleCollapseHalvings() - 1e-9;
    }

    private void trackCollapsedAndFrozen(TrainingState st, MetricPoint p, boolean lossFinite) {
        if (!lossFinite) {
            return; // a missing or non-finite loss neither continues nor breaks a repeat
        }
        double loss = p.loss();
        if (loss >= 0 && loss < s.collapsedFloor()) {
            if (st.collapsedCount++ == 0) {
                st.collapsedOnsetStep = p.step();
            }
        } else {
            st.collapsedCount = 0;
        }
        if (loss == 0) {
            st.repeatCount = 0;
            st.repeatedLoss = Double.NaN;
            return; // a zero loss is the collapsed-loss rule's
        }
        double quantum = printedQuantum(loss);
        st.lossQuantum = Double.isNaN(st.lossQuantum) ? quantum : Math.min(st.lossQuantum, quantum);
        if (loss == st.repeatedLoss) {
            st.repeatCount++;
        } else {
            st.repeatedLoss = loss;
            st.repeatCount = 1;
            st.repeatOnsetStep = p.step();
            // The noise as it was when the value began to repeat: a frozen loss would shrink the baseline's own.
            // Before the baseline knows the noise, a repeat is not judged: a guessed noise would call a run that
            // prints a plateau from its first line frozen.
            st.repeatNoise = st.baseline.loss.samples >= BASELINE_SAMPLES
                    ? underlyingNoise(Math.abs(loss) * st.baseline.loss.sigma(), st.lossQuantum) : 0;
        }
    }

    /**
     * A low estimate of the noise under the printing: the measured noise less the rounding's own (two rounded
     * values differ by q²/6 in variance), times {@link #NOISE_LOW_BOUND} for the error of an estimate from a few
     * dozen records. Too high a noise would make repeats look unlikely and call a healthy plateau frozen.
     */
    static double underlyingNoise(double measured, double quantum) {
        double rounding = Double.isNaN(quantum) ? 0 : quantum * quantum / 6;
        return NOISE_LOW_BOUND * Math.sqrt(Math.max(measured * measured - rounding, 0));
    }

    /** One unit of the last printed digit: 2.38 → 0.01; 2.380000114440918 → 1e-15. */
    static double printedQuantum(double value) {
        return Math.pow(10, -BigDecimal.valueOf(value).stripTrailingZeros().scale());
    }

    /**
     * Identical consecutive values that make a frozen loss: the fewest n with p^(n-1) below the alpha, where p is
     * the chance that the next value of a healthy run prints the same as this one. At its largest the level sits
     * in the middle of a printed unit q, where p = 2Φ(q / 2σ) − 1 for the run's noise σ: a loss printed far more
     * coarsely than its noise (2.4 for a loss of 2.40 ± 0.007) repeats forever and is never called frozen.
     */
    long frozenRepeatsNeeded(TrainingState st) {
        if (Double.isNaN(st.lossQuantum) || !(st.repeatNoise > 0)) {
            return Long.MAX_VALUE;
        }
        double p = samePrintedValueProbability(st.lossQuantum, st.repeatNoise);
        if (p >= 1 - 1e-12) {
            return Long.MAX_VALUE;
        }
        double needed = 1 + Math.ceil(Math.log(s.frozenAlpha()) / Math.log(p));
        return Math.max(s.frozenMinRepeats(), (long) Math.min(needed, 1e15));
    }

    static double samePrintedValueProbability(double quantum, double sigma) {
        return Math.max(0, Math.min(1, 2 * normalCdf(quantum / (2 * sigma)) - 1));
    }

    /** Φ via the complementary error function (Numerical Recipes erfc, relative error < 1.2e-7). */
    private static double normalCdf(double x) {
        double z = Math.abs(x) / Math.sqrt(2);
        double t = 1 / (1 + 0.5 * z);
        double erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - erfc / 2 : erfc / 2;
    }

    // ---- episodes --------------------------------------------------------------------------------------------

    private void openOrEscalate(TrainingState st, MetricPoint p, String cause, Window window, List<Alert> out) {
        NotTrainingEpisode open = st.notTraining;
        boolean certain = COLLAPSED.equals(cause) || FROZEN.equals(cause);
        if (open != null) {
            if (Severity.page.name().equals(open.severity)) {
                return;
            }
            Halves now = halves(st, window.from());
            if (!certain && improving(st, open.referenceLogLoss, open.referenceLosses, now.newerMean(),
                    now.newerCount())) {
                return;
            }
            Alert ticket = notTrainingAlert(p.run(), open, open.onsetStep, p.timeMs());
            out.add(ticket.resolvedAt(p.step(), p.timeMs(), "Escalated to a page: the loss stopped improving."));
            NotTrainingEpisode page = episode(st, p, cause, window, Severity.page);
            page.onsetStep = open.onsetStep;
            page.id = Alert.episodeId(p.run(), AlertType.not_training, "escalated", open.onsetStep);
            out.add(firing(st, p, page, ticket.id()));
            return;
        }
        if (!certain && undecided(st, window)) {
            return;
        }
        Severity severity = Severity.page;
        NotTrainingEpisode episode = episode(st, p, cause, window, severity);
        if (!certain) {
            int stretch = stretchStart(st, window.from());
            double newerMean;
            int newerCount;
            // The newer half of the stretch against where the loss stood when skipping began (or the older half):
            // a frozen model's loss stays there, a learning one has moved on.
            Halves now = halves(st, stretch);
            newerMean = now.newerMean();
            newerCount = now.newerCount();
            if (improving(st, episode.referenceLogLoss, episode.referenceLosses, newerMean, newerCount)) {
                episode.severity = Severity.ticket.name();
            }
        }
        if (st.openSkipNoticeId != null) {
            out.add(Alert.firing(p.run(), AlertType.skipped_steps, Severity.info, st.skipNoticeOnsetStep).build()
                    .resolvedAt(p.step(), p.timeMs(), "Became not_training."));
            st.openSkipNoticeId = null;
        }
        out.add(firing(st, p, episode, null));
    }

    /**
     * Too early to tell a frozen model from a learning one: the skipping stretch has fewer than
     * {@link #DECISION_LOSSES} losses and is shorter than the window. Waiting costs at most one window.
     */
    private boolean undecided(TrainingState st, Window window) {
        int stretch = stretchStart(st, window.from());
        double steps = 0;
        int losses = 0;
        for (int i = stretch; i < st.buckets(); i++) {
            steps += st.bucketSteps[i];
            losses += st.bucketLosses[i];
        }
        return losses < DECISION_LOSSES && steps < s.skipWindowSteps();
    }

    private NotTrainingEpisode episode(TrainingState st, MetricPoint p, String cause, Window window,
                                       Severity severity) {
        NotTrainingEpisode e = new NotTrainingEpisode();
        e.cause = cause;
        e.severity = severity.name();
        int stretch = stretchStart(st, window.from());
        e.onsetStep = switch (cause) {
            case COLLAPSED -> st.collapsedOnsetStep;
            case FROZEN -> st.repeatOnsetStep;
            default -> st.buckets() == 0 ? p.step() : st.bucketFirstStep[Math.min(stretch, st.buckets() - 1)];
        };
        if (stretch < st.buckets() && !Double.isNaN(st.bucketBaselineLogLoss[stretch])) {
            // The baseline's forecast where skipping began knows the level from many records: a frozen model's
            // loss stays there, a learning one keeps falling below it.
            e.referenceLogLoss = st.bucketBaselineLogLoss[stretch];
            e.referenceLosses = PRECISE;
        } else {
            Halves h = halves(st, stretch);
            e.referenceLogLoss = h.olderMean();
            e.referenceLosses = h.olderCount();
        }
        e.rollbackToStep = st.rollbackTarget(e.onsetStep,
                st.lastHealthyStep < e.onsetStep ? st.lastHealthyStep : -1);
        return e;
    }

    private Alert firing(TrainingState st, MetricPoint p, NotTrainingEpisode e, String relatedId) {
        boolean page = Severity.page.name().equals(e.severity);
        String what = switch (e.cause) {
            case COLLAPSED -> String.format("its loss has been %s (below %s, no cross-entropy gets there) for %d "
                    + "logged steps: the labels are masked out or the loss is computed on nothing",
                    p.loss(), s.collapsedFloor(), st.collapsedCount);
            case FROZEN -> String.format("its loss has printed exactly %s for %d logged steps, which its noise at "
                    + "this precision makes a chance of under %.0e: no update reaches the model (frozen optimizer, "
                    + "LR 0, every step skipped)", p.loss(), st.repeatCount, s.frozenAlpha());
            case LOSS_SCALE -> String.format("its fp16 loss scale has collapsed to %s, so (nearly) every step "
                    + "overflows and is skipped", st.lastLossScale);
            default -> String.format("%s of its last %d optimizer steps were skipped by the fp16 loss scaler",
                    percent(st.skipFraction), s.skipWindowSteps());
        };
        String verdict = FROZEN.equals(e.cause) || COLLAPSED.equals(e.cause) ? ""
                : page ? "; the loss has stopped improving, so the weights are not changing"
                : "; the loss is still improving, so updates are applied and likely only the gradient-norm metric "
                + "is broken";
        String action = page ? (e.rollbackToStep == null ? " Stop the run and fix it."
                : " Stop the run; restart from step " + e.rollbackToStep + " after fixing it.")
                : " Check the gradient-norm logging in working hours.";
        Alert.Builder builder = Alert.firing(p.run(), AlertType.not_training, page ? Severity.page : Severity.ticket,
                        e.onsetStep);
        if (e.id != null) {
            builder.id(e.id);
        }
        Alert alert = builder
                .detectedAt(p.step(), p.timeMs())
                .metric(e.cause)
                .value(valueOf(st, e.cause, p))
                .threshold(thresholdOf(st, e.cause))
                .rollbackTo(e.rollbackToStep)
                .related(relatedId)
                .summary(String.format("Run %s is not training since step %d: %s%s.%s", p.run(), e.onsetStep, what,
                        verdict, action))
                .details(TrainingAlertText.evidence("skipped_fraction", st.skipFraction, "skipped_steps_total",
                        (double) st.skippedStepsTotal, "loss_scale", st.lastLossScale, "repeats",
                        (double) st.repeatCount, "loss_quantum", st.lossQuantum, "log_loss_fall",
                        st.lossFallAcrossSkipping, "log_loss_fall_needed", st.lossFallNeeded, "precision",
                        st.precision == null ? "unknown" : st.precision))
                .build();
        e.id = alert.id();
        st.notTraining = e;
        return alert;
    }

    private double valueOf(TrainingState st, String cause, MetricPoint p) {
        return switch (cause) {
            case COLLAPSED, FROZEN -> p.loss();
            case LOSS_SCALE -> st.lastLossScale;
            default -> st.skipFraction;
        };
    }

    private double thresholdOf(TrainingState st, String cause) {
        return switch (cause) {
            case COLLAPSED -> s.collapsedFloor();
            case FROZEN -> (double) frozenRepeatsNeeded(st);
            case LOSS_SCALE -> s.minLossScale();
            default -> s.skipFraction();
        };
    }

    private static Alert notTrainingAlert(String run, NotTrainingEpisode e, long onset, long timeMs) {
        Severity severity = Severity.valueOf(e.severity);
        return Alert.firing(run, AlertType.not_training, severity, onset).detectedAt(onset, timeMs).metric(e.cause)
                .id(e.id).build();
    }

    private void resolveNotTraining(TrainingState st, MetricPoint p, String why, List<Alert> out) {
        out.add(notTrainingAlert(p.run(), st.notTraining, st.notTraining.onsetStep, p.timeMs())
                .resolvedAt(p.step(), p.timeMs(), why));
        st.notTraining = null;
    }

    /** Info notice of a transient skip: opened by a record with skipped steps, resolved by the next clean one. */
    private void notice(TrainingState st, MetricPoint p, double skipped, List<Alert> out) {
        if (skipped > 0 && st.openSkipNoticeId == null && st.notTraining == null) {
            Alert alert = Alert.firing(p.run(), AlertType.skipped_steps, Severity.info, p.step())
                    .detectedAt(p.step(), p.timeMs())
                    .metric("skipped_steps")
                    .value(skipped)
                    .summary(String.format("Run %s: the fp16 loss scaler skipped %s optimizer step(s) at step %d "
                                    + "(gradient norm %s, loss scale %s): routine, no action.", p.run(),
                            skipped == Math.rint(skipped) ? String.valueOf((long) skipped) : String.valueOf(skipped),
                            p.step(), p.gradNorm(), p.lossScale()))
                    .details(TrainingAlertText.evidence("skipped_steps_total", (double) st.skippedStepsTotal,
                            "skipped_fraction", st.skipFraction))
                    .build();
            st.openSkipNoticeId = alert.id();
            st.skipNoticeOnsetStep = p.step();
            out.add(alert);
        } else if (skipped == 0 && st.openSkipNoticeId != null) {
            out.add(Alert.firing(p.run(), AlertType.skipped_steps, Severity.info, st.skipNoticeOnsetStep).build()
                    .resolvedAt(p.step(), p.timeMs(), "Step " + p.step() + " was applied."));
            st.openSkipNoticeId = null;
        }
    }

    private void checkBlowup(TrainingState st, MetricPoint p, boolean lossFinite, List<Alert> out) {
        if (!lossFinite) {
            return;
        }
        double loss = p.loss();
        if (st.startLoss == 0) {
            if (loss > 0) {
                st.startLoss = loss;
            }
            return;
        }
        double limit = Math.max(st.startLoss, 1.0) * Math.pow(10, s.blowupDecades());
        if (loss >= limit && st.openBlowupId == null) {
            Long rollback = st.rollbackTarget(p.step(), st.lastHealthyStep);
            Alert alert = Alert.firing(p.run(), AlertType.loss_blowup, Severity.page, p.step())
                    .detectedAt(p.step(), p.timeMs())
                    .metric("loss")
                    .value(loss)
                    .threshold(limit)
                    .rollbackTo(rollback)
                    .summary(String.format("Run %s logged loss %s at step %d, %.1f decades above where it started "
                                    + "(%s): the model has blown up, whatever the gradient norm says. Stop the run%s.",
                            p.run(), loss, p.step(), Math.log10(loss / Math.max(st.startLoss, 1e-300)),
                            st.startLoss, rollback == null ? "" : " and roll back to step " + rollback))
                    .details(TrainingAlertText.evidence("loss", loss, "start_loss", st.startLoss, "grad_norm",
                            String.valueOf(p.gradNorm())))
                    .build();
            st.openBlowupId = alert.id();
            st.blowupOnsetStep = p.step();
            out.add(alert);
        } else if (loss < limit && st.openBlowupId != null) {
            out.add(Alert.firing(p.run(), AlertType.loss_blowup, Severity.page, st.blowupOnsetStep).build()
                    .resolvedAt(p.step(), p.timeMs(), "Loss back below " + limit + " at step " + p.step() + "."));
            st.openBlowupId = null;
        }
    }

    private static String percent(double fraction) {
        return String.format("%.0f%%", 100 * fraction);
    }
}
