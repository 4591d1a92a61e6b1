package io.runwatch.health;

import java.util.List;

/**
 * The outcome of every check at one instant. Liveness ({@code /healthz}) fails only when a restart of the process
 * is the cure; readiness ({@code /readyz}) fails when runwatch is not doing its job for any reason, so it includes
 * the liveness checks.
 */
public record HealthReport(long atMs, List<HealthCheck> liveness, List<HealthCheck> readiness) {

    public boolean live() {
        return liveness.stream().allMatch(HealthCheck::ok);
    }

    public boolean ready() {
        return live() && readiness.stream().allMatch(HealthCheck::ok);
    }
}
