package io.runwatch.core;

/**
 * One validated input record of any of the three input topics; exactly one field is non-null. The metrics
 * topology merges training metrics and run events of a run into one ordered stream of these.
 */
public record RunInput(MetricPoint metric, RunEvent event, EvalPoint eval) {

    public RunInput {
        int present = (metric != null ? 1 : 0) + (event != null ? 1 : 0) + (eval != null ? 1 : 0);
        if (present != 1) {
            throw new IllegalArgumentException("exactly one of metric, event, eval must be set");
        }
    }

    public static RunInput of(MetricPoint metric) {
        return new RunInput(metric, null, null);
    }

    public static RunInput of(RunEvent event) {
        return new RunInput(null, event, null);
    }

    public static RunInput of(EvalPoint eval) {
        return new RunInput(null, null, eval);
    }

    public String run() {
        return metric != null ? metric.run() : event != null ? event.run() : eval.run();
    }

    public long timeMs() {
        return metric != null ? metric.timeMs() : event != null ? event.timeMs() : eval.timeMs();
    }
}
