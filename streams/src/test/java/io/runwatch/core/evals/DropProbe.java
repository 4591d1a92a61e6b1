package io.runwatch.core.evals;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * For diagnosing missed drops (test code): what the regression tests see of a known drop of a trajectory, read
 * from its state once the drop and two checkpoints after it are in. Lives in the core's package to reach the
 * package-private tests; {@code EvalMissDiagnosis} tabulates it.
 */
public final class DropProbe {
    private final EvalSettings settings;
    private final TrajectoryAnalysis analysis;
    private final RegressionDetector detector;

    public DropProbe(EvalSettings settings) {
        this.settings = settings;
        this.analysis = new TrajectoryAnalysis(settings);
        this.detector = new RegressionDetector(settings, analysis);
    }

    /**
     * The tests' view of the drop over checkpoints [fromStep, toStep], or null while its checkpoints (and the
     * level before and the two after it) are not all in the retained window.
     */
    public Map<String, Object> probe(TrajectoryState t, EvalRunState run, long fromStep, long toStep, long interval) {
        int from = t.indexOf(fromStep);
        int to = t.indexOf(toStep);
        int after = Math.min(t.recent.size() - 1, to + 2);
        if (from < settings.levelCheckpoints() || to < 0 || to - from != (toStep - fromStep) / interval) {
            return null;
        }
        Map<String, Object> p = new LinkedHashMap<>();
        int firstBefore = (int) Math.min(from, 9);
        boolean contiguousBefore = t.recent.get(from - firstBefore).step == fromStep - firstBefore * interval;
        p.put("complete", contiguousBefore && t.indexOf(toStep + 2 * interval) == to + 2);
        TrajectoryAnalysis.Reference skillReference = analysis.reference(t, from);
        TrajectoryAnalysis.ChanceLevel chance = TrajectoryAnalysis.chance(t);
        if (chance != null && skillReference != null) {
            p.put("aboveChance", (skillReference.level() - chance.high())
                    / analysis.noise(t, from, RegressionDetector.seedsAt(t, from)).total());
        }
        long m = from + 1;
        double dof = analysis.tailDof(t, run);
        p.put("noisy", t.noisy);
        p.put("noisyReason", t.noisyReason);
        p.put("flaky", run.isFlaky(t.benchmark));
        NoiseEstimate noise = analysis.noise(t, from, RegressionDetector.seedsAt(t, from));
        double sampling = Math.max(Math.max(noise.binomial(), noise.seed()), noise.floor());
        p.put("noise", noise.total());
        p.put("sampling", sampling);
        p.put("empirical", noise.empirical());
        p.put("empiricalCounts", noise.empiricalCounts());
        TrajectoryAnalysis.Expectation expected = analysis.expectation(t, from, noise.total());
        if (expected != null) {
            double unit = noise.total() * expected.spread();
            p.put("trend", expected.slopePerStep() > 0);
            p.put("spread", expected.spread());
            p.put("singleZ", (expected.score() - t.orientedMean(from)) / unit);
            p.put("expected", expected.score());
            StringBuilder scores = new StringBuilder();
            for (int i = Math.max(0, from - 4); i <= after; i++) {
                scores.append(i == from ? "[" : "").append(String.format(java.util.Locale.ROOT, "%.3f", t.orientedMean(i)))
                        .append(i == to ? "]" : "").append(i < after ? "," : "");
            }
            p.put("scores", scores.toString());
            p.put("singleThreshold", Significance.singleCheckpointZ(settings.alpha(), m, dof));
            if (to > from) {
                TrajectoryAnalysis.Expectation next = analysis.expectation(t, from + 1, noise.total(), from);
                double nextZ = (next.score() - t.orientedMean(from + 1)) / (noise.total() * next.spread());
                p.put("nextZ", nextZ);
                double shared = Math.sqrt((expected.spread() * expected.spread() - 1)
                        * (next.spread() * next.spread() - 1)) / (expected.spread() * next.spread());
                p.put("pairThreshold", Significance.confirmedPairZ(settings.alpha(), m, shared, dof));
            }
        }
        int length = to - from + 1;
        TrajectoryAnalysis.Expectation line = analysis.bracketed(t, from, Math.min(length, RegressionDetector.HINDSIGHT_SPANS));
        if (line != null) {
            int span = Math.min(length, RegressionDetector.HINDSIGHT_SPANS);
            double mean = analysis.level(t, from, from + span - 1);
            p.put("hindsightZ", (line.score() - mean) / (noise.total() * line.spread()));
            p.put("hindsightThreshold", Significance.singleCheckpointZ(settings.alpha(),
                    m * RegressionDetector.HINDSIGHT_SPANS, Significance.dofOfMean(dof, span)));
            // The realised drop, in sampling errors: what the noise actually did to the injected size.
            p.put("realisedSampling", (line.score() - mean) / sampling);
        }
        TrajectoryAnalysis.Reference reference = analysis.reference(t, from);
        if (reference != null) {
            double unit = noise.total() * Math.sqrt(1 + 1.0 / settings.levelCheckpoints());
            p.put("belowBestZ", (reference.level() - t.orientedMean(from)) / unit);
        }
        return p;
    }
}
