package io.runwatch.ingest.follow;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.ingest.follow.LogFollower.Change;
import io.runwatch.ingest.follow.LogFollower.Chunk;
import io.runwatch.ingest.follow.LogFollower.Line;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The follower on real files in a temporary directory: every way a trainer's log file changes under it. */
class LogFollowerTest {
    @TempDir
    Path dir;

    private static void append(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static List<String> texts(List<Chunk> chunks) {
        List<String> out = new ArrayList<>();
        chunks.forEach(c -> c.lines().forEach(l -> out.add(l.text())));
        return out;
    }

    /** Polls while the follower says it stopped short of the end, as a caller draining a backlog does. */
    private static List<Chunk> drain(LogFollower follower) throws IOException {
        List<Chunk> all = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            all.addAll(follower.poll());
            if (!follower.hasMore()) {
                return all;
            }
        }
        throw new AssertionError("the follower never ran dry");
    }

    @Test
    void aFileThatDoesNotExistYetIsWaitedForAndReadFromItsFirstLine() throws IOException {
        Path log = dir.resolve("train.log");
        try (LogFollower follower = new LogFollower(log, FilePosition.NONE)) {
            assertThat(follower.poll()).isEmpty();
            append(log, "s:0 trl:11.0\ns:1 trl:10.9\n");
            List<Chunk> chunks = follower.poll();
            assertThat(texts(chunks)).containsExactly("s:0 trl:11.0", "s:1 trl:10.9");
            assertThat(chunks.get(0).lines()).extracting(Line::lineNumber).containsExactly(1L, 2L);
            assertThat(chunks.get(0).end().offset()).isEqualTo(Files.size(log));
        }
    }

    @Test
    void aPartialLastLineIsNotALineUntilItsTerminatorArrives() throws IOException {
        Path log = dir.resolve("train.log");
        append(log, "iteration 1 | lm loss: 8.1 |\niteration 2 | lm loss: 8.");
        try (LogFollower follower = new LogFollower(log, FilePosition.NONE)) {
            List<Chunk> first = follower.poll();
            assertThat(texts(first)).containsExactly("iteration 1 | lm loss: 8.1 |");
            long afterFirst = first.get(0).end().offset();
            assertThat(afterFirst).isEqualTo("iteration 1 | lm loss: 8.1 |\n".length());
            assertThat(texts(follower.poll())).isEmpty();
            append(log, "05 |\n");
            List<Chunk> second = follower.poll();
            assertThat(texts(second)).containsExactly("iteration 2 | lm loss: 8.05 |");
            assertThat(second.get(0).lines().get(0).lineNumber()).isEqualTo(2);
            assertThat(second.get(0).end().offset()).isEqualTo(Files.size(log));
        }
    }

    @Test
    void carriageReturnsEndLinesLikeProgressBarRedrawsAndCrLfIsOneLineEnd() throws IOException {
        Path log = dir.resolve("bar.log");
        append(log, " 10%|#   | 1/10\r 20%|##  | 2/10\r{'loss': 1.5, 'epoch': 0.2}\r\nnext line\n");
        try (LogFollower follower = new LogFollower(log, FilePosition.NONE)) {
            List<Chunk> chunks = follower.poll();
            assertThat(texts(chunks)).containsExactly(" 10%|#   | 1/10", " 20%|##  | 2/10",
                    "{'loss': 1.5, 'epoch': 0.2}", "next line");
            assertThat(chunks.get(0).lines()).extracting(Line::lineNumber).containsExactly(1L, 1L, 1L, 2L);
        }
    }

    @Test
    void aBurstOfBlockBufferedOutputIsReadInBoundedPollsWithoutLosingOrSplittingALine() throws IOException {
        Path log = dir.resolve("burst.log");
        StringBuilder text = new StringBuilder();
        for (int step = 0; step < 2_000; step++) {
            text.append("s:").append(step).append(" trl:").append(3.0 + step * 1e-4).append('\n');
        }
        append(log, text.toString());
        try (LogFollower follower = new LogFollower(log, FilePosition.NONE, 1000, 1 << 20)) {
            List<String> lines = texts(drain(follower));
            assertThat(lines).hasSize(2_000);
            assertThat(lines.get(0)).isEqualTo("s:0 trl:3.0");
            assertThat(lines.get(1999)).startsWith("s:1999 trl:");
            assertThat(follower.bytesBehind()).isZero();
        }
    }

    @Test
    void truncationStartsOverFromTheBeginning() throws IOException {
        Path log = dir.resolve("train.log");
        append(log, "s:0 trl:11.0\ns:1 trl:10.9\ns:2 trl:10.8\n");
        try (LogFollower follower = new LogFollower(log, FilePosition.NONE)) {
            assertThat(texts(follower.poll())).hasSize(3);
            try (FileChannel channel = FileChannel.open(log, StandardOpenOption.WRITE)) {
                channel.truncate(0);
            }
            append(log, "s:0 trl:12.0\n");
            List<Chunk> chunks = follower.poll();
            assertThat(chunks).hasSize(1);
            assertThat(chunks.get(0).change()).isEqualTo(Change.TRUNCATED);
            assertThat(texts(chunks)).containsExactly("s:0 trl:12.0");
            assertThat(chunks.get(0).lines().get(0).lineNumber()).isEqualTo(1);
        }
    }

    @Test
    void rotationFinishesTheRenamedFileThenFollowsTheNewOne() throws IOException {
        Path log = dir.resolve("train.log");
        append(log, "s:0 trl:11.0\n");
        try (LogFollower follower = new LogFollower(log, FilePosition.NONE)) {
            assertThat(texts(follower.poll())).containsExactly("s:0 trl:11.0");
            Path rotated = dir.resolve("train.log.1");
            Files.move(log, rotated);
            append(rotated, "s:1 trl:10.9\ns:2 trl:10.8"); // the writer still had the old file open
            append(log, "s:3 trl:10.7\n");
            List<Chunk> chunks = follower.poll();
            assertThat(texts(chunks)).containsExactly("s:1 trl:10.9", "s:2 trl:10.8", "s:3 trl:10.7");
            assertThat(chunks).extracting(Chunk::change).containsExactly(Change.NONE, Change.NEW_FILE);
            assertThat(chunks.get(1).end().fileKey()).isNotEqualTo(chunks.get(0).end().fileKey());
            append(log, "s:4 trl:10.6\n");
            assertThat(texts(follower.poll())).containsExactly("s:4 trl:10.6");
        }
    }

    @Test
    void aDeletedFileWithoutSuccessorIsStillReadBecauseItsWriterMayStillAppend() throws IOException {
        Path log = dir.resolve("train.log");
        append(log, "s:0 trl:11.0\n");
        try (LogFollower follower = new LogFollower(log, FilePosition.NONE);
             FileChannel writer = FileChannel.open(log, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            assertThat(texts(follower.poll())).hasSize(1);
            Files.delete(log);
            writer.write(java.nio.ByteBuffer.wrap("s:1 trl:10.9\n".getBytes(StandardCharsets.UTF_8)));
            assertThat(texts(follower.poll())).containsExactly("s:1 trl:10.9");
            append(log, "s:0 trl:12.0\n");
            List<Chunk> chunks = follower.poll();
            assertThat(texts(chunks)).containsExactly("s:0 trl:12.0");
            assertThat(chunks.get(chunks.size() - 1).change()).isEqualTo(Change.NEW_FILE);
        }
    }

    @Test
    void aRestartReplaysTheFileAndMarksExactlyTheLinesUpToTheSavedOffsetAsSent() throws IOException {
        Path log = dir.resolve("train.log");
        append(log, "s:0 trl:11.0\ns:1 trl:10.9\n");
        FilePosition saved;
        try (LogFollower follower = new LogFollower(log, FilePosition.NONE)) {
            saved = follower.poll().get(0).end();
        }
        append(log, "s:2 trl:10.8\n");
        try (LogFollower follower = new LogFollower(log, saved)) {
            List<Line> lines = follower.poll().get(0).lines();
            assertThat(lines).extracting(Line::text).containsExactly("s:0 trl:11.0", "s:1 trl:10.9", "s:2 trl:10.8");
            assertThat(lines).extracting(Line::alreadySent).containsExactly(true, true, false);
            assertThat(follower.drainNotes()).isEmpty();
        }
    }

    @Test
    void aRestartAfterARotationWhileDownFinishesTheRenamedFileFirst() throws IOException {
        Path log = dir.resolve("train.log");
        append(log, "s:0 trl:11.0\n");
        FilePosition saved;
        try (LogFollower follower = new LogFollower(log, FilePosition.NONE)) {
            saved = follower.poll().get(0).end();
        }
        Path rotated = dir.resolve("train.log.1");
        Files.move(log, rotated);
        append(rotated, "s:1 trl:10.9\n");
        append(log, "s:2 trl:10.8\n");
        try (LogFollower follower = new LogFollower(log, saved)) {
            List<Chunk> chunks = drain(follower);
            List<Line> lines = new ArrayList<>();
            chunks.forEach(c -> lines.addAll(c.lines()));
            assertThat(lines).extracting(Line::text).containsExactly("s:0 trl:11.0", "s:1 trl:10.9", "s:2 trl:10.8");
            assertThat(lines).extracting(Line::alreadySent).containsExactly(true, false, false);
            assertThat(follower.drainNotes()).singleElement().asString().contains("train.log.1");
        }
    }

    @Test
    void aFileRewrittenUnderTheSameInodeWhileDownIsReadAgainFromTheStartAndSaysSo() throws IOException {
        Path log = dir.resolve("train.log");
        append(log, "s:0 trl:11.0\ns:1 trl:10.9\n");
        FilePosition saved;
        try (LogFollower follower = new LogFollower(log, FilePosition.NONE)) {
            saved = follower.poll().get(0).end();
        }
        // The trainer restarted with `> train.log`: same inode, new content longer than the saved offset.
        Files.writeString(log, "s:0 trl:12.5\ns:1 trl:12.4\ns:2 trl:12.3\n", StandardCharsets.UTF_8,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        try (LogFollower follower = new LogFollower(log, saved)) {
            List<Line> lines = follower.poll().get(0).lines();
            assertThat(lines).hasSize(3).noneMatch(Line::alreadySent);
            assertThat(follower.drainNotes()).singleElement().asString().contains("from the beginning");
        }
    }

    @Test
    void aLineWithoutTerminatorLongerThanTheLimitIsCutSoGarbageCannotExhaustMemory() throws IOException {
        Path log = dir.resolve("garbage.log");
        append(log, "x".repeat(2500) + "\nok\n");
        try (LogFollower follower = new LogFollower(log, FilePosition.NONE, 700, 1000)) {
            List<String> lines = texts(drain(follower));
            assertThat(lines).hasSize(4);
            assertThat(lines.subList(0, 3)).extracting(String::length).containsExactly(1000, 1000, 500);
            assertThat(lines.get(3)).isEqualTo("ok");
        }
    }

    @Test
    void theOffsetFileIsReplacedAtomicallyAndReadBackAsWritten() throws IOException {
        OffsetFile file = new OffsetFile(dir.resolve("sub/tail.offsets"));
        assertThat(file.load()).isEmpty();
        TailState state = new TailState("t-1", 7, 1234, Map.of("/logs/a.log", new TailState.SourceState(
                new FilePosition("(dev=803,ino=42)", 1000, 99), true)), Set.of("run-a"));
        file.save(state);
        file.save(state.committed(8, 5678));
        TailState back = file.load().orElseThrow();
        assertThat(back).isEqualTo(state.committed(8, 5678));
        assertThat(OffsetFile.fromJson(OffsetFile.toJson(back))).isEqualTo(back);
        try (var entries = Files.list(dir.resolve("sub"))) {
            assertThat(entries.map(p -> p.getFileName().toString())).containsExactly("tail.offsets");
        }
    }
}
