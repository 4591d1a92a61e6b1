package io.runwatch.topology;

/**
 * A refused input record as written to {@code runwatch.deadletter}, never larger than
 * {@code deadletter.max.record.bytes} serialized (see {@link DeadLetters}): where it came from, why it was refused,
 * and enough of it to find, fix and replay it.
 *
 * @param key            the record's key, at most {@link DeadLetters#MAX_KEY_CHARS} characters
 * @param detail         exactly what was wrong, at most {@link DeadLetters#MAX_DETAIL_CHARS} characters
 * @param originalSize   the size of the refused value in bytes
 * @param originalSha256 hex SHA-256 of the whole refused value: finds the producer's copy of a truncated one
 * @param originalBase64 base64 of the value's first bytes (all of it when {@code truncated} is false)
 * @param originalText   the same bytes as text, when they are UTF-8 and the text fits in the bound; else absent
 * @param truncated      true when {@code originalBase64} holds only a prefix of the value
 */
public record DeadLetter(String topic, int partition, long offset, long timestamp, String key, String reason,
                         String detail, long originalSize, String originalSha256, String originalBase64,
                         String originalText, boolean truncated) {
}
