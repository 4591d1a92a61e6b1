package io.runwatch.ingest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Cuts a log's raw bytes into the lines a {@link TrainerLogParser} accepts: a line ends at {@code \n} or at
 * {@code \r} (progress bars redraw with {@code \r}; {@code \r\n} is one end), ANSI escape sequences are removed
 * (colours, including 24-bit {@code ESC[38;2;r;g;bm}, and cursor moves), blank lines are skipped, and an
 * unterminated last line stays pending until its end arrives (a half-written {@code lm loss: 8.} is not a line).
 *
 * <p>It works on bytes because {@code \n} and {@code \r} never occur inside a multi-byte UTF-8 character, so a chunk
 * boundary anywhere is safe and {@link #consumedBytes()} is an exact file offset: everything before it has been
 * handed out as complete lines. Invalid UTF-8 becomes U+FFFD. One instance per file; not thread-safe.
 */
public final class LineSplitter {
    /** A line longer than this is cut here (a runaway progress bar must not grow the pending buffer forever). */
    public static final int MAX_LINE_BYTES = 1 << 20;

    /** The unterminated line so far (not a ByteArrayOutputStream: its synchronized size() in the byte loop cost). */
    private byte[] pending = new byte[256];
    private int pendingLength;
    private boolean lastWasCarriageReturn;
    private long fedBytes;

    /** Feeds {@code len} bytes; returns the lines they completed, cleaned, in order. */
    public List<String> feed(byte[] bytes, int off, int len) {
        List<String> lines = new ArrayList<>();
        int lineStart = off;
        int end = off + len;
        int room = MAX_LINE_BYTES - pendingLength;
        for (int i = off; i < end; i++) {
            byte b = bytes[i];
            if (b == '\n' || b == '\r') {
                boolean secondHalfOfCrlf = b == '\n' && lastWasCarriageReturn && i == lineStart && pendingLength == 0;
                lastWasCarriageReturn = b == '\r';
                if (!secondHalfOfCrlf) {
                    if (pendingLength == 0) {
                        add(lines, new String(bytes, lineStart, i - lineStart, StandardCharsets.UTF_8));
                    } else {
                        append(bytes, lineStart, i - lineStart);
                        emit(lines);
                    }
                }
                lineStart = i + 1;
                room = MAX_LINE_BYTES;
            } else {
                lastWasCarriageReturn = false;
                if (i - lineStart >= room) {
                    append(bytes, lineStart, i - lineStart);
                    emit(lines);
                    lineStart = i;
                    room = MAX_LINE_BYTES;
                }
            }
        }
        append(bytes, lineStart, end - lineStart);
        fedBytes += len;
        return lines;
    }

    private void append(byte[] bytes, int off, int len) {
        if (pendingLength + len > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + len));
        }
        System.arraycopy(bytes, off, pending, pendingLength, len);
        pendingLength += len;
    }

    /** Feeds text (already decoded); the same rules. */
    public List<String> feed(CharSequence text) {
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        return feed(bytes, 0, bytes.length);
    }

    /** Bytes handed out as complete lines (including their terminators) since this splitter was created. */
    public long consumedBytes() {
        return fedBytes - pendingLength;
    }

    /** Bytes of the unterminated last line held back. */
    public int pendingBytes() {
        return pendingLength;
    }

    /**
     * The unterminated last line, cleaned, or null if there is none or it is blank; clears it. For the end of a
     * {@code --no-follow} read, where the file will not grow any more.
     */
    public String finish() {
        List<String> lines = new ArrayList<>(1);
        emit(lines);
        return lines.isEmpty() ? null : lines.get(0);
    }

    private void emit(List<String> lines) {
        String text = new String(pending, 0, pendingLength, StandardCharsets.UTF_8);
        pendingLength = 0;
        if (pending.length > 1 << 16) {
            pending = new byte[256]; // one huge line must not pin its buffer
        }
        add(lines, text);
    }

    private static void add(List<String> lines, String text) {
        String line = clean(text);
        if (!line.isBlank()) {
            lines.add(line);
        }
    }

    /** Removes ANSI escape sequences and a trailing {@code \r}/{@code \n}; keeps everything else as it was. */
    public static String clean(String line) {
        int esc = line.indexOf('\u001b');
        if (esc < 0) {
            return stripTerminators(line);
        }
        StringBuilder out = new StringBuilder(line.length());
        int i = 0;
        int n = line.length();
        while (i < n) {
            char c = line.charAt(i);
            if (c != '\u001b') {
                out.append(c);
                i++;
                continue;
            }
            i++;
            if (i >= n) {
                break;
            }
            char kind = line.charAt(i);
            if (kind == '[') {
                // CSI: parameters 0x30-0x3F, intermediates 0x20-0x2F, one final byte 0x40-0x7E.
                i++;
                while (i < n && line.charAt(i) >= 0x20 && line.charAt(i) <= 0x3F) {
                    i++;
                }
                if (i < n && line.charAt(i) >= 0x40 && line.charAt(i) <= 0x7E) {
                    i++;
                }
            } else if (kind == ']') {
                // OSC (e.g. hyperlinks): up to BEL or ESC \.
                i++;
                while (i < n && line.charAt(i) != '\u0007' && line.charAt(i) != '\u001b') {
                    i++;
                }
                if (i < n && line.charAt(i) == '\u0007') {
                    i++;
                } else if (i + 1 < n) {
                    i += 2;
                }
            } else {
                i++;
            }
        }
        return stripTerminators(out.toString());
    }

    private static String stripTerminators(String line) {
        int end = line.length();
        while (end > 0 && (line.charAt(end - 1) == '\r' || line.charAt(end - 1) == '\n')) {
            end--;
        }
        return end == line.length() ? line : line.substring(0, end);
    }
}
