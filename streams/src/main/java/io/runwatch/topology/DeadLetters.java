package io.runwatch.topology;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds dead letters that fit in a fixed number of bytes whatever the refused record was: a record just under
 * {@code input.max.record.bytes} must never yield a dead letter over the producer's {@code max.request.size}
 * (the send would fail and, under exactly-once, stop the partition). The key and the detail are cut to a few
 * hundred characters; of the payload the letter keeps its size, its SHA-256, base64 of its first bytes and, when
 * those bytes are UTF-8 and the text still fits, the same bytes as text. The prefix gets 3/7 of the free space, so
 * that base64 (4/3 per byte) and plain ASCII text (1 per byte) both fit.
 *
 * <p>The bound is also kept below the producer's own {@code max.request.size} ({@link #forProducer}): under
 * exactly-once a send that fails for size poisons the whole transaction, so no exception handler could skip it.
 */
public final class DeadLetters {
    public static final int MAX_KEY_CHARS = 256;
    public static final int MAX_DETAIL_CHARS = 1_024;
    /** The producer's default max.request.size. */
    static final int DEFAULT_MAX_REQUEST_SIZE = 1_048_576;
    /** Room in a produce request for the key (256 characters, 4 bytes each at most) and the record framing. */
    static final int RECORD_OVERHEAD_BYTES = MAX_KEY_CHARS * 4 + 512;
    /** When even the bare letter does not fit: key and detail cut this short. */
    private static final int MIN_KEY_CHARS = 32;
    private static final int MIN_DETAIL_CHARS = 128;
    /** Slack for the JSON number widths that differ between the sizing pass and the final letter. */
    private static final int SLACK_BYTES = 64;
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);

    private final int maxRecordBytes;
    private final Serializer<DeadLetter> serializer = Topics.DEAD_LETTER.valueSerde().serializer();

    public DeadLetters(int maxRecordBytes) {
        this.maxRecordBytes = maxRecordBytes;
    }

    /**
     * The configured bound, lowered when the Streams producer's {@code max.request.size} (from the application's
     * configuration: {@code producer.max.request.size} or {@code max.request.size}) leaves less room.
     */
    public static DeadLetters forProducer(int configuredMaxBytes, Map<String, Object> appConfigs) {
        Object configured = appConfigs.get("producer.max.request.size");
        if (configured == null) {
            configured = appConfigs.get("max.request.size");
        }
        int maxRequestSize = configured == null ? DEFAULT_MAX_REQUEST_SIZE : Integer.parseInt(configured.toString());
        int room = maxRequestSize - RECORD_OVERHEAD_BYTES;
        if (room < configuredMaxBytes) {
            LOG.warn("deadletter.max.record.bytes={} does not fit the producer's max.request.size={}; dead letters "
                    + "are cut to {} bytes", configuredMaxBytes, maxRequestSize, Math.max(room, 0));
            return new DeadLetters(Math.max(room, 0));
        }
        return new DeadLetters(configuredMaxBytes);
    }

    public int maxRecordBytes() {
        return maxRecordBytes;
    }

    /** The dead letter of {@code original} (null counts as empty), within the bound. */
    public DeadLetter letter(String topic, int partition, long offset, long timestamp, String key, String reason,
                             String detail, byte[] original) {
        byte[] value = original == null ? new byte[0] : original;
        String shortKey = cut(key, MAX_KEY_CHARS);
        String shortDetail = cut(detail, MAX_DETAIL_CHARS);
        String sha256 = sha256(value);
        DeadLetter bare = new DeadLetter(topic, partition, offset, timestamp, shortKey, reason, shortDetail,
                value.length, sha256, "", null, value.length > 0);
        if (size(bare) > maxRecordBytes) { // a tiny bound: keep less of the key and the detail
            shortKey = cut(key, MIN_KEY_CHARS);
            shortDetail = cut(detail, MIN_DETAIL_CHARS);
            bare = new DeadLetter(topic, partition, offset, timestamp, shortKey, reason, shortDetail,
                    value.length, sha256, "", null, value.length > 0);
        }
        int free = maxRecordBytes - size(bare) - SLACK_BYTES;
        int prefixBytes = Math.max(0, Math.min(value.length, (int) ((long) free * 3 / 7)));
        byte[] prefix = Arrays.copyOf(value, prefixBytes);
        boolean truncated = prefixBytes < value.length;
        String base64 = Base64.getEncoder().encodeToString(prefix);
        DeadLetter withoutText = new DeadLetter(topic, partition, offset, timestamp, shortKey, reason, shortDetail,
                value.length, sha256, base64, null, truncated);
        String text = utf8Prefix(prefix, truncated);
        if (text == null) {
            return withoutText;
        }
        DeadLetter withText = new DeadLetter(topic, partition, offset, timestamp, shortKey, reason, shortDetail,
                value.length, sha256, base64, text, truncated);
        // Control characters expand sixfold when escaped: then the text does not fit and only base64 is kept.
        return size(withText) <= maxRecordBytes ? withText : withoutText;
    }

    /** The key to send a dead letter under: the record's own key, cut like the letter's. */
    public static String key(String key) {
        return cut(key, MAX_KEY_CHARS);
    }

    int size(DeadLetter letter) {
        return serializer.serialize(Topics.DEAD_LETTER.name(), letter).length;
    }

    /**
     * The bytes as text when they are valid UTF-8; a prefix cut inside a multi-byte character loses that
     * character's first bytes (at most 3) rather than the whole text. Null when the bytes are not UTF-8.
     */
    static String utf8Prefix(byte[] bytes, boolean mayEndMidCharacter) {
        int tries = mayEndMidCharacter ? Math.min(3, bytes.length) : 0;
        for (int drop = 0; drop <= tries; drop++) {
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes, 0, bytes.length - drop)).toString();
            } catch (CharacterCodingException e) {
                // try one byte shorter: the cut may have split a character
            }
        }
        return null;
    }

    static String cut(String text, int maxChars) {
        if (text == null || text.length() <= maxChars) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
        return text.substring(0, end) + "…";
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
