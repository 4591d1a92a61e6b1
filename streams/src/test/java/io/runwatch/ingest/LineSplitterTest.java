package io.runwatch.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineSplitterTest {
    @Test
    void splitsOnNewlineAndCarriageReturnWithCrlfAsOneEnd() {
        LineSplitter s = new LineSplitter();
        assertThat(s.feed("a\nb\r\nc\rd\r\n\r\ne\n")).containsExactly("a", "b", "c", "d", "e");
    }

    @Test
    void crlfSplitAcrossChunksIsStillOneEnd() {
        LineSplitter s = new LineSplitter();
        List<String> lines = new ArrayList<>(s.feed("one\r"));
        lines.addAll(s.feed("\ntwo\n"));
        assertThat(lines).containsExactly("one", "two");
        assertThat(s.consumedBytes()).isEqualTo(9);
    }

    @Test
    void aPartialLastLineWaitsForItsEnd() {
        LineSplitter s = new LineSplitter();
        assertThat(s.feed(" iteration 10/ 100 | lm loss: 8.")).isEmpty();
        assertThat(s.consumedBytes()).isZero();
        assertThat(s.pendingBytes()).isPositive();
        assertThat(s.feed("123E+00 |\n")).containsExactly(" iteration 10/ 100 | lm loss: 8.123E+00 |");
        assertThat(s.consumedBytes()).isEqualTo(" iteration 10/ 100 | lm loss: 8.123E+00 |\n".length());
        assertThat(s.feed("tail")).isEmpty();
        assertThat(s.finish()).isEqualTo("tail");
    }

    @Test
    void stripsAnsiColoursIncluding24BitAndCursorMoves() {
        String line = "\u001b[31mstep:  1  \u001b[32mloss: 12.47335  \u001b[38;2;180;60;0mgrad_norm: 24.5000\u001b[39m"
                + "\u001b[A\u001b]8;;http://x\u0007link\u001b]8;;\u0007";
        assertThat(LineSplitter.clean(line)).isEqualTo("step:  1  loss: 12.47335  grad_norm: 24.5000link");
    }

    @Test
    void aMultiByteCharacterCutBetweenChunksSurvives() {
        byte[] bytes = "84%|████▍| 320/380\n".getBytes(StandardCharsets.UTF_8);
        LineSplitter s = new LineSplitter();
        List<String> lines = new ArrayList<>();
        for (byte b : bytes) {
            lines.addAll(s.feed(new byte[] {b}, 0, 1));
        }
        assertThat(lines).containsExactly("84%|████▍| 320/380");
        assertThat(s.consumedBytes()).isEqualTo(bytes.length);
    }

    @Test
    void aRunawayLineIsCutNotGrownForever() {
        LineSplitter s = new LineSplitter();
        byte[] big = new byte[LineSplitter.MAX_LINE_BYTES + 10];
        java.util.Arrays.fill(big, (byte) 'x');
        assertThat(s.feed(big, 0, big.length)).hasSize(1);
        assertThat(s.pendingBytes()).isLessThan(LineSplitter.MAX_LINE_BYTES);
    }
}
