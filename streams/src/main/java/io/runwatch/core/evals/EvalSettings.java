package io.runwatch.core.evals;

/**
 * Knobs of the checkpoint-evaluation detectors. Built from {@code io.runwatch.config.Settings}, where each
 * one is documented with its reasons.
 *
 * @param kendallWindow          checkpoints in the rolling Kendall tau gauge
 * @param retainedCheckpoints    newest checkpoints kept per trajectory (older ones are compressed)
 * @param levelCheckpoints       checkpoints averaged into a "level" (the reference drops are measured from)
 * @param lookbackCheckpoints    how far back the recent best level is searched
 * @param noiseWindow            checkpoints the sampling noise (binomial, seed, floor) is averaged over
 * @param empiricalNoiseWindow   checkpoints the empirical noise (spread around the trend) is estimated from
 * @param empiricalNoiseHalfLife checkpoints after which a residual counts half in the empirical noise
 * @param minCheckpoints         checkpoints needed before the first regression test
 * @param alpha                  false-alarm probability of eval_regression over a trajectory's life
 * @param confirmWithNext        also fire when two consecutive checkpoints both pass a lower threshold
 * @param resolveZ               an episode resolves when the score is back within this many noise units
 * @param movedZ                 a checkpoint this many noise units below its reference counts as "moved"
 * @param noisyMinCheckpoints    checkpoints needed before a trajectory may be classed noisy
 * @param noisyMaxTau            |Kendall tau| below which a trajectory near chance is classed noisy
 * @param relativeNoiseFloor     the noise unit is at least this fraction of the score
 * @param flakyEpisodes          isolated, quickly recovered episodes in a row that class a trajectory flaky
 *                               (0: never)
 * @param flakyRecoveryCheckpoints an episode recovered within this many checkpoints counts as a swing
 * @param flakyCalmCheckpoints   checkpoints without an isolated drop after which the flaky class ends
 * @param neverMuteZ             a drop at least this many sampling errors (binomial, seed) below the level
 *                               before it ...
 * @param neverMuteChanceShare   ... that also lost at least this share of the level's margin above chance is
 *                               ticketed whatever class (noisy, flaky) or empirical noise says
 * @param catastrophicFactor     a perplexity that grows by this factor at one checkpoint (a loss by its log,
 *                               bits per byte by its log2) is ticketed from the second checkpoint on
 * @param catastrophicChanceShare an accuracy that loses this share of its margin above chance at one
 *                               checkpoint is ticketed from the second checkpoint on
 * @param unstableRatio          empirical swing / sampling error above which a benchmark is said unstable
 * @param tailDof                degrees of freedom of the Student-t noise the thresholds assume (0: Gaussian)
 * @param coDropBenchmarks       benchmarks falling at one checkpoint that make a run-level eval_co_drop
 * @param coDropAlpha            false-alarm probability of eval_co_drop over a run's life
 * @param resolveCheckpoints     an episode resolves once this many checkpoints in a row after its drop are back
 *                               within {@code resolveZ} ...
 * @param resolveHoldWithin      ... while it has been open at most this many checkpoints; a longer one resolves at
 *                               its first checkpoint back
 * @param bpbNoiseFloor          the noise unit of bits per byte or a perplexity (a mean over a benchmark's items,
 *                               no sampling error given) is at least this fraction of the score
 */
public record EvalSettings(int kendallWindow, int retainedCheckpoints, int levelCheckpoints,
                           int lookbackCheckpoints, int noiseWindow, int empiricalNoiseWindow,
                           double empiricalNoiseHalfLife, int minCheckpoints, double alpha,
                           boolean confirmWithNext, double resolveZ, double movedZ, int noisyMinCheckpoints,
                           double noisyMaxTau, double relativeNoiseFloor, int flakyEpisodes,
                           int flakyRecoveryCheckpoints, int flakyCalmCheckpoints, double neverMuteZ,
                           double neverMuteChanceShare, double catastrophicFactor,
                           double catastrophicChanceShare, double unstableRatio, double tailDof,
                           int coDropBenchmarks, double coDropAlpha, int resolveCheckpoints,
                           int resolveHoldWithin, double bpbNoiseFloor) {

    public EvalSettings {
        if (lookbackCheckpoints < levelCheckpoints) {
            throw new IllegalArgumentException("evals lookback must cover at least one level window");
        }
        if (retainedCheckpoints < Math.max(lookbackCheckpoints, Math.max(noiseWindow, empiricalNoiseWindow)) + levelCheckpoints) {
            throw new IllegalArgumentException(
                    "evals retained checkpoints must cover the lookback or noise window plus one level window");
        }
    }

    /** The catalogue's defaults, for unit tests (the core cannot read config); pinned by CoreDefaultsTest. */
    public static EvalSettings defaults() {
        return new EvalSettings(10, 32, 4, 24, 12, 24, 24, 6, 0.01, true, 1.0, 2.0, 8, 0.3, 0.002, 3, 4, 100,
                10, 0.25, 2.0, 0.75, 5, 0, 3, 0.05, 2, 6, 0.005);
    }
}
