package io.runwatch.topology;

/**
 * A refused input record as written to {@code runwatch.deadletter}: where it came from, why it was refused,
 * and its original bytes (base64, plus the text when it was valid UTF-8) so it can be fixed and replayed.
 */
public record DeadLetter(String topic, int partition, long offset, long timestamp, String key, String reason,
                         String detail, String originalBase64, String originalText) {
}
