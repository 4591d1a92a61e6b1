package io.runwatch.ingest.follow;

/**
 * Where a follower stands in one file: the file's identity ({@code fileKey}, the device and inode on Linux), the
 * byte offset just past the last complete line read, and a fingerprint of the bytes around the start and before
 * that offset. The fingerprint tells a file that merely kept its inode (deleted and recreated, or truncated and
 * rewritten while nobody watched) from the file that was read, so a restart never skips lines it has not seen.
 */
public record FilePosition(String fileKey, long offset, long fingerprint) {
    /** Nothing read yet of a file not seen yet. */
    public static final FilePosition NONE = new FilePosition("", 0, 0);

    public FilePosition {
        if (fileKey == null) {
            throw new IllegalArgumentException("fileKey is required");
        }
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0: " + offset);
        }
    }

    public boolean isNone() {
        return fileKey.isEmpty();
    }
}
