package io.runwatch.health;

/**
 * One check of /healthz or /readyz.
 *
 * @param name    stable name, also the {@code check} label of {@code runwatch_health_check}
 * @param ok      passing or not
 * @param detail  one line a human can act on
 * @param sinceMs wall time (epoch ms) since which the check has had this outcome
 */
public record HealthCheck(String name, boolean ok, String detail, long sinceMs) {
}
