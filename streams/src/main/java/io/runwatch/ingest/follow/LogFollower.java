package io.runwatch.ingest.follow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32;

/**
 * Follows one log file like {@code tail -F}, driven by the caller's {@link #poll()} (no thread of its own):
 * <ul>
 *   <li>a file that does not exist yet is waited for;</li>
 *   <li>rotation (the path now names another file): the old file is read to its end, then the new one from 0;
 *       a deleted file whose path has no successor yet keeps being read, as a writer may still append to it;</li>
 *   <li>truncation (the file shrank below what was read): read again from 0;</li>
 *   <li>a line ends at {@code \n} or {@code \r} (progress bars redraw with {@code \r}); a partial last line is not a
 *       line until its terminator arrives, however the writer's block buffering split it;</li>
 *   <li>a restart: given the {@link FilePosition} saved earlier, the follower finds that file (at the path, or
 *       renamed beside it by a rotation while nobody watched), reads it <em>from the beginning</em> and marks the
 *       lines up to the saved offset {@link Line#alreadySent()}: the caller replays them through its parser, so
 *       that parser state (an ordinal step counter, a rank-duplicate filter) is the same as before the restart,
 *       and sends only what follows.</li>
 * </ul>
 * Bytes are split on the terminator bytes, which never occur inside a UTF-8 sequence, so every offset is exact;
 * text is decoded as UTF-8 with replacement. Empty lines are skipped (they still advance the offset). A line longer
 * than {@code maxLineBytes} is cut there, so garbage without newlines cannot exhaust memory.
 */
public final class LogFollower implements AutoCloseable {
    /** Bytes at the start and before the offset covered by a {@link FilePosition#fingerprint()}. */
    static final int FINGERPRINT_BYTES = 512;

    /** One complete line: text without terminator, 1-based line number ({@code \n}-counted), offset past it. */
    public record Line(String text, long lineNumber, long endOffset, boolean alreadySent) {
    }

    /** What happened to the file before the lines of a chunk. */
    public enum Change {
        /** The same file as before (or the first file seen). */
        NONE,
        /** The path now names another file (rotation, or a resume that finished the renamed one first). */
        NEW_FILE,
        /** The file shrank: it is read again from 0. */
        TRUNCATED
    }

    /**
     * Lines read from one file by one poll, and the position after them. {@code replaying}: the chunk ends at or
     * before the saved offset of a restart, so all its lines were sent before and the position is not new.
     */
    public record Chunk(Change change, List<Line> lines, FilePosition end, boolean replaying) {
        public Chunk {
            lines = List.copyOf(lines);
        }
    }

    private final Path path;
    private final int maxReadBytes;
    private final int maxLineBytes;
    private final List<String> notes = new ArrayList<>();
    /** The saved position of a restart, until its file has been found (or found gone). */
    private FilePosition resume;
    private OpenFile current;
    private ByteBuffer readBuffer;

    public LogFollower(Path path, FilePosition resume) {
        this(path, resume, 1 << 20, 1 << 20);
    }

    public LogFollower(Path path, FilePosition resume, int maxReadBytes, int maxLineBytes) {
        this.path = path.toAbsolutePath().normalize();
        this.resume = resume == null || resume.isNone() ? null : resume;
        this.maxReadBytes = maxReadBytes;
        this.maxLineBytes = maxLineBytes;
    }

    public Path path() {
        return path;
    }

    /**
     * Reads what is new: at most about {@code maxReadBytes} per file per call, so a caller that wants all of a
     * large backlog calls until a poll returns no line. Returns one chunk per file read (two across a rotation),
     * or none when nothing changed.
     */
    public List<Chunk> poll() throws IOException {
        List<Chunk> chunks = new ArrayList<>();
        if (current == null) {
            openInitial();
            if (current == null) {
                return chunks;
            }
        }
        BasicFileAttributes atPath = stat(path);
        boolean replaced = atPath != null && !Objects.equals(keyOf(atPath), current.fileKey);
        if (replaced) {
            // Finish the old file first; switch only once it is read to its end.
            Chunk tail = current.read(maxReadBytes, Change.NONE);
            if (!current.atEnd) {
                chunks.add(tail);
                return chunks;
            }
            Line last = current.finishPartial();
            if (last != null) {
                tail = new Chunk(tail.change(), append(tail.lines(), last), current.position(last.endOffset()),
                        last.alreadySent());
            }
            addIfAny(chunks, tail);
            current.close();
            current = open(path, atPath, null);
            if (current != null) {
                chunks.add(current.read(maxReadBytes, Change.NEW_FILE));
            }
            return chunks;
        }
        Change change = Change.NONE;
        if (atPath != null && atPath.size() < current.readPos) {
            current.restartFromZero();
            change = Change.TRUNCATED;
        }
        Chunk chunk = current.read(maxReadBytes, change);
        if (change != Change.NONE || !chunk.lines().isEmpty() || current.advancedSinceLastChunk) {
            chunks.add(chunk);
        }
        return chunks;
    }

    /** Whether the last poll stopped before the end of the file (a backlog): poll again at once. */
    public boolean hasMore() {
        return current != null && !current.atEnd;
    }

    /** Bytes in the followed file that are not yet complete lines read: how far behind the writer this is. */
    public long bytesBehind() {
        if (current == null) {
            return 0;
        }
        try {
            BasicFileAttributes atPath = stat(path);
            long size = atPath != null && !Objects.equals(keyOf(atPath), current.fileKey)
                    ? current.channel.size() - current.consumed + atPath.size()
                    : current.channel.size() - current.consumed;
            return Math.max(0, size);
        } catch (IOException e) {
            return 0;
        }
    }

    /** Things worth telling the user once (a saved file that is gone); cleared by reading. */
    public List<String> drainNotes() {
        List<String> out = List.copyOf(notes);
        notes.clear();
        return out;
    }

    @Override
    public void close() {
        if (current != null) {
            current.close();
            current = null;
        }
    }

    private void openInitial() throws IOException {
        BasicFileAttributes atPath = stat(path);
        if (resume != null) {
            FilePosition saved = resume;
            if (atPath != null && saved.fileKey().equals(keyOf(atPath))) {
                current = open(path, atPath, saved);
                if (current != null) {
                    resume = null;
                    if (current.resumeOffset != saved.offset()) {
                        notes.add(path + " was truncated or rewritten since offset " + saved.offset()
                                + " was saved; reading it from the beginning");
                    }
                    return;
                }
            }
            Path renamed = findByKey(saved.fileKey());
            if (renamed != null) {
                current = open(renamed, stat(renamed), saved);
                if (current != null && current.resumeOffset > 0) {
                    resume = null;
                    notes.add("finishing " + renamed + " (rotated from " + path + " while not followed)");
                    return;
                }
                if (current != null) {
                    current.close();
                    current = null;
                }
            }
            if (atPath == null) {
                return; // neither the saved file nor a new one yet: wait, the saved one may come back
            }
            notes.add("the file read before (" + saved.fileKey() + ", offset " + saved.offset()
                    + ") is gone or was rewritten; reading " + path + " from the beginning");
            resume = null;
        }
        if (atPath != null) {
            current = open(path, atPath, null);
        }
    }

    /** Opens {@code file}; with {@code saved}, lines up to its offset count as sent when the file still matches. */
    private OpenFile open(Path file, BasicFileAttributes attrs, FilePosition saved) throws IOException {
        if (attrs == null || !attrs.isRegularFile()) {
            return null;
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            return null;
        }
        OpenFile opened = new OpenFile(channel, keyOf(attrs));
        if (saved != null) {
            long size = channel.size();
            if (size >= saved.offset() && fingerprint(channel, saved.offset()) == saved.fingerprint()) {
                opened.resumeOffset = saved.offset();
            }
        }
        return opened;
    }

    private Path findByKey(String fileKey) {
        Path dir = path.getParent();
        if (dir == null || fileKey.isEmpty()) {
            return null;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                BasicFileAttributes attrs = stat(entry);
                if (attrs != null && attrs.isRegularFile() && fileKey.equals(keyOf(attrs))) {
                    return entry;
                }
            }
        } catch (IOException e) {
            notes.add("cannot list " + dir + ": " + e.getMessage());
        }
        return null;
    }

    private static BasicFileAttributes stat(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            return null;
        }
    }

    /** The file's identity: device and inode where the platform has them, else the creation time. */
    static String keyOf(BasicFileAttributes attrs) {
        Object key = attrs.fileKey();
        return key != null ? key.toString() : "created=" + attrs.creationTime().toMillis();
    }

    /** CRC32 of up to {@link #FINGERPRINT_BYTES} at the start and just before {@code offset}. */
    static long fingerprint(FileChannel channel, long offset) throws IOException {
        CRC32 crc = new CRC32();
        int head = (int) Math.min(offset, FINGERPRINT_BYTES);
        crc.update(readAt(channel, 0, head));
        long tailStart = Math.max(0, offset - FINGERPRINT_BYTES);
        crc.update(readAt(channel, tailStart, (int) (offset - tailStart)));
        return crc.getValue();
    }

    private static byte[] readAt(FileChannel channel, long at, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, at + buffer.position());
            if (n < 0) {
                break;
            }
        }
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    private static List<Line> append(List<Line> lines, Line last) {
        List<Line> out = new ArrayList<>(lines);
        out.add(last);
        return out;
    }

    private static void addIfAny(List<Chunk> chunks, Chunk chunk) {
        if (!chunk.lines().isEmpty()) {
            chunks.add(chunk);
        }
    }

    /** One open file: read position, the partial line carried over, line numbering. */
    private final class OpenFile {
        final FileChannel channel;
        final String fileKey;
        long resumeOffset;
        long readPos;
        /** Offset just past the last complete line. */
        long consumed;
        long newlines;
        byte[] pending = new byte[256];
        int pendingLength;
        long pendingLineNumber = 1;
        boolean atEnd;
        boolean advancedSinceLastChunk;

        OpenFile(FileChannel channel, String fileKey) {
            this.channel = channel;
            this.fileKey = fileKey;
        }

        void restartFromZero() {
            readPos = 0;
            consumed = 0;
            newlines = 0;
            pendingLength = 0;
            pendingLineNumber = 1;
            resumeOffset = 0;
        }

        Chunk read(int maxBytes, Change change) throws IOException {
            long consumedBefore = consumed;
            List<Line> lines = new ArrayList<>();
            if (readBuffer == null || readBuffer.capacity() != Math.max(1, maxBytes)) {
                readBuffer = ByteBuffer.allocate(Math.max(1, maxBytes));
            }
            ByteBuffer buffer = readBuffer.clear();
            int n = channel.read(buffer, readPos);
            atEnd = n < buffer.capacity();
            if (n > 0) {
                byte[] bytes = buffer.array();
                int lineStart = 0;
                for (int i = 0; i < n; i++) {
                    byte b = bytes[i];
                    if (b == '\n' || b == '\r') {
                        emit(lines, bytes, lineStart, i, readPos + i + 1);
                        if (b == '\n') {
                            newlines++;
                        }
                        pendingLineNumber = newlines + 1;
                        lineStart = i + 1;
                    } else if (pendingLength + (i + 1 - lineStart) >= maxLineBytes) {
                        emit(lines, bytes, lineStart, i + 1, readPos + i + 1);
                        lineStart = i + 1;
                    }
                }
                keep(bytes, lineStart, n);
                readPos += n;
            }
            advancedSinceLastChunk = consumed != consumedBefore;
            return new Chunk(change, lines, position(consumed), consumed <= resumeOffset && resumeOffset > 0);
        }

        /** The partial last line of a file that will not grow any more (rotated away), as a line. */
        Line finishPartial() {
            if (pendingLength == 0) {
                return null;
            }
            String text = new String(pending, 0, pendingLength, StandardCharsets.UTF_8);
            long end = consumed + pendingLength;
            Line line = new Line(text, pendingLineNumber, end, end <= resumeOffset);
            pendingLength = 0;
            consumed = end;
            return text.isBlank() ? null : line;
        }

        FilePosition position(long offset) throws IOException {
            return new FilePosition(fileKey, offset, fingerprint(channel, offset));
        }

        private void emit(List<Line> lines, byte[] bytes, int from, int to, long endOffset) {
            String text;
            if (pendingLength > 0) {
                byte[] joined = Arrays.copyOf(pending, pendingLength + (to - from));
                System.arraycopy(bytes, from, joined, pendingLength, to - from);
                text = new String(joined, StandardCharsets.UTF_8);
                pendingLength = 0;
            } else {
                text = new String(bytes, from, to - from, StandardCharsets.UTF_8);
            }
            consumed = endOffset;
            if (!text.isEmpty()) {
                lines.add(new Line(text, pendingLineNumber, endOffset, endOffset <= resumeOffset));
            }
        }

        private void keep(byte[] bytes, int from, int to) {
            int length = to - from;
            if (length <= 0) {
                return;
            }
            if (pendingLength + length > pending.length) {
                pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + length));
            }
            System.arraycopy(bytes, from, pending, pendingLength, length);
            pendingLength += length;
        }

        void close() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing a read-only file: nothing to lose
            }
        }
    }
}
