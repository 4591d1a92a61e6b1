package io.runwatch.core.evals;

import java.util.List;

/**
 * The run's recent training-health episodes, looked up only when a co-drop opens (rare), so the topology can
 * read them from the store they live in without a cost per evaluation record.
 */
@FunctionalInterface
public interface TrainingEpisodes {
    /** None known: the pure monitor alone, or a replay of evaluations without training metrics. */
    TrainingEpisodes NONE = run -> List.of();

    /** Episodes of {@code run}, any order. */
    List<TrainingEpisode> of(String run);
}
