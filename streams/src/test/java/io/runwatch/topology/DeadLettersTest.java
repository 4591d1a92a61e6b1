package io.runwatch.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DeadLettersTest {
    private static final int BOUND = 16_384;
    private final DeadLetters deadLetters = new DeadLetters(BOUND);

    private DeadLetter letter(String key, String detail, byte[] payload) {
        return deadLetters.letter("runwatch.metrics", 2, 41, 1_000, key, "malformed_json", detail, payload);
    }

    @Test
    void aSmallRecordIsKeptWholeAsBase64AndText() {
        byte[] payload = "{\"run\":\"r\",\"step\":1,\"loss\":2".getBytes(StandardCharsets.UTF_8);
        DeadLetter letter = letter("r", "Unexpected end-of-input", payload);
        assertThat(letter.truncated()).isFalse();
        assertThat(letter.originalSize()).isEqualTo(payload.length);
        assertThat(Base64.getDecoder().decode(letter.originalBase64())).isEqualTo(payload);
        assertThat(letter.originalText()).isEqualTo("{\"run\":\"r\",\"step\":1,\"loss\":2");
        assertThat(letter.originalSha256()).isEqualTo(DeadLetters.sha256(payload)).hasSize(64);
    }

    @Test
    void aRecordOfAnySizeOrContentGivesALetterWithinTheBound() {
        Random random = new Random(11);
        for (int i = 0; i < 300; i++) {
            int size = i < 100 ? random.nextInt(200) : random.nextInt(1_048_576);
            byte[] payload = new byte[size];
            switch (i % 4) {
                case 0 -> random.nextBytes(payload); // binary
                case 1 -> Arrays.fill(payload, (byte) 0x01); // control characters: sixfold when escaped
                case 2 -> fillWith(payload, "\u00e9\u6f22\ud83d\ude80".getBytes(StandardCharsets.UTF_8)); // multi-byte
                default -> fillWith(payload, "{\"run\":\"r\",\"x\":\"\\\"".getBytes(StandardCharsets.UTF_8));
            }
            String key = "k\u0000".repeat(random.nextInt(2_000));
            String detail = "d\"".repeat(random.nextInt(5_000));
            DeadLetter letter = letter(key, detail, payload);
            assertThat(deadLetters.size(letter)).as("payload %d of %d bytes", i, size).isLessThanOrEqualTo(BOUND);
            byte[] kept = Base64.getDecoder().decode(letter.originalBase64());
            assertThat(payload).startsWith(kept);
            assertThat(letter.truncated()).isEqualTo(kept.length < payload.length);
            assertThat(letter.originalSize()).isEqualTo(size);
            assertThat(letter.originalSha256()).isEqualTo(DeadLetters.sha256(payload));
            if (letter.originalText() != null) {
                assertThat(new String(kept, StandardCharsets.UTF_8)).startsWith(letter.originalText());
            }
        }
    }

    @Test
    void aLargeTextRecordKeepsAReadablePrefixOfSeveralKilobytes() {
        byte[] payload = ("{\"run\":\"r\",\"step\":1,\"loss\":\"" + "x".repeat(500_000)).getBytes(StandardCharsets.UTF_8);
        DeadLetter letter = letter("r", "Unexpected end-of-input", payload);
        assertThat(letter.truncated()).isTrue();
        assertThat(letter.originalText()).startsWith("{\"run\":\"r\",\"step\":1").hasSizeGreaterThan(6_000);
        assertThat(deadLetters.size(letter)).isLessThanOrEqualTo(BOUND);
    }

    @Test
    void aCutInsideAMultiByteCharacterDropsOnlyThatCharacter() {
        byte[] rocket = "ab\ud83d\ude80".getBytes(StandardCharsets.UTF_8); // 2 + 4 bytes
        assertThat(DeadLetters.utf8Prefix(Arrays.copyOf(rocket, 4), true)).isEqualTo("ab");
        assertThat(DeadLetters.utf8Prefix(rocket, false)).isEqualTo("ab\ud83d\ude80");
        assertThat(DeadLetters.utf8Prefix(new byte[] {(byte) 0xC3, (byte) 0x28}, false)).isNull();
    }

    @Test
    void longKeysAreCutWithoutSplittingASurrogatePair() {
        String key = "x".repeat(DeadLetters.MAX_KEY_CHARS - 1) + "\ud83d\ude80" + "tail";
        String cut = DeadLetters.key(key);
        assertThat(cut).endsWith("x…").hasSize(DeadLetters.MAX_KEY_CHARS);
        assertThat(DeadLetters.key("short")).isEqualTo("short");
        assertThat(DeadLetters.key(null)).isNull();
    }

    private static void fillWith(byte[] target, byte[] pattern) {
        for (int i = 0; i < target.length; i++) {
            target[i] = pattern[i % pattern.length];
        }
    }
}
