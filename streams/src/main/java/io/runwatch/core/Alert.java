package io.runwatch.core;

import java.util.Map;
import java.util.Objects;

/**
 * One alert record as written to {@code runwatch.alerts}: a {@code firing} at an episode's onset and a
 * {@code resolved} when its condition clears, both with the same {@link #id}.
 *
 * @param id               stable for one episode: run, type, subject (benchmark or group) and onset step
 * @param step             the step where the anomaly began
 * @param detectedAtStep   the step whose record made the detector decide
 * @param timeMs           record time (epoch ms) of the deciding record
 * @param rollbackToStep   last checkpoint saved before the episode began, else the last healthy step
 * @param relatedId        the id of the alert this one escalates from or resolves into (spike → divergence)
 * @param details          extra evidence (numbers, flags) for humans and dashboards
 */
public record Alert(
        String id,
        String run,
        AlertType type,
        Severity severity,
        AlertState state,
        long step,
        long detectedAtStep,
        long timeMs,
        String benchmark,
        String metric,
        String group,
        Double value,
        Double threshold,
        Long rollbackToStep,
        String summary,
        String runbook,
        String relatedId,
        Map<String, Object> details) {

    public Alert {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(run, "run");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(state, "state");
        details = details == null ? Map.of() : Map.copyOf(details);
    }

    /** Stable episode key: the same anomaly seen again (replay, restart) maps to the same id. */
    public static String episodeId(String run, AlertType type, String subject, long onsetStep) {
        return run + "/" + type + (subject == null || subject.isEmpty() ? "" : "/" + subject) + "/" + onsetStep;
    }

    public static Builder firing(String run, AlertType type, Severity severity, long onsetStep) {
        return new Builder(run, type, severity, AlertState.firing, onsetStep);
    }

    /** A resolved record for the same episode as {@code firing}, decided at {@code step}. */
    public Alert resolvedAt(long atStep, long atTimeMs, String why) {
        return new Alert(id, run, type, severity, AlertState.resolved, step, atStep, atTimeMs, benchmark, metric,
                group, value, threshold, rollbackToStep, why, runbook, relatedId, details);
    }

    public Alert withRunbook(String link) {
        return new Alert(id, run, type, severity, state, step, detectedAtStep, timeMs, benchmark, metric, group,
                value, threshold, rollbackToStep, summary, link, relatedId, details);
    }

    /** The same record with a {@code group} label (an eval alert's capability); the episode id is unchanged. */
    public Alert withGroup(String groupName) {
        return new Alert(id, run, type, severity, state, step, detectedAtStep, timeMs, benchmark, metric, groupName,
                value, threshold, rollbackToStep, summary, runbook, relatedId, details);
    }

    public boolean isFiring() {
        return state == AlertState.firing;
    }

    /** Subject of the episode besides the run: a benchmark (with metric) or a parameter group. */
    public String subject() {
        if (benchmark != null) {
            return metric == null ? benchmark : benchmark + ":" + metric;
        }
        return group;
    }

    public static final class Builder {
        private final String run;
        private final AlertType type;
        private final Severity severity;
        private final AlertState state;
        private final long step;
        private long detectedAtStep;
        private long timeMs;
        private String benchmark;
        private String metric;
        private String group;
        private Double value;
        private Double threshold;
        private Long rollbackToStep;
        private String summary;
        private String relatedId;
        private String id;
        private Map<String, Object> details = Map.of();

        private Builder(String run, AlertType type, Severity severity, AlertState state, long step) {
            this.run = run;
            this.type = type;
            this.severity = severity;
            this.state = state;
            this.step = step;
            this.detectedAtStep = step;
        }

        public Builder detectedAt(long atStep, long atTimeMs) {
            this.detectedAtStep = atStep;
            this.timeMs = atTimeMs;
            return this;
        }

        public Builder benchmark(String benchmarkName, String metricName) {
            this.benchmark = benchmarkName;
            this.metric = metricName;
            return this;
        }

        public Builder metric(String metricName) {
            this.metric = metricName;
            return this;
        }

        public Builder group(String groupName) {
            this.group = groupName;
            return this;
        }

        public Builder value(double v) {
            this.value = v;
            return this;
        }

        public Builder threshold(double t) {
            this.threshold = t;
            return this;
        }

        public Builder rollbackTo(Long rollbackStep) {
            this.rollbackToStep = rollbackStep;
            return this;
        }

        public Builder summary(String text) {
            this.summary = text;
            return this;
        }

        public Builder related(String otherId) {
            this.relatedId = otherId;
            return this;
        }

        /** Overrides the default episode id (rarely needed: e.g. one-per-trajectory info alerts). */
        public Builder id(String explicitId) {
            this.id = explicitId;
            return this;
        }

        public Builder details(Map<String, Object> evidence) {
            this.details = evidence;
            return this;
        }

        public Alert build() {
            String subject = benchmark != null ? (metric == null ? benchmark : benchmark + ":" + metric) : group;
            String episode = id != null ? id : episodeId(run, type, subject, step);
            return new Alert(episode, run, type, severity, state, step, detectedAtStep, timeMs, benchmark, metric,
                    group, value, threshold, rollbackToStep, summary, null, relatedId, details);
        }
    }
}
