/**
 * The pure detection core: input records, alerts and detectors. Nothing here imports Kafka, Micrometer or
 * Jackson (an ArchUnit test enforces it); time always comes in as a parameter.
 */
package io.runwatch.core;
