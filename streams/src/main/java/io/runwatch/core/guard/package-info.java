/**
 * The step-jump guard: keeps one corrupt step from poisoning a run's state. Pure Java, like the rest of core.
 */
package io.runwatch.core.guard;
