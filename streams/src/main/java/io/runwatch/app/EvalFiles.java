package io.runwatch.app;

import io.runwatch.ingest.evals.EvalFileResult;
import io.runwatch.ingest.evals.EvalResultParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The file side of {@code import-evals}: which files under a path are candidate result files, the name each one
 * is known by (which carries the step when the directory is named after the checkpoint), and reading them
 * through the pure {@link EvalResultParser}.
 */
final class EvalFiles {
    /** Harness output and tables; a checkpoint directory also holds weights, which must never be read. */
    private static final Set<String> EXTENSIONS = Set.of("json", "jsonl", "ndjson", "csv", "tsv");
    /** Result files are kilobytes; a larger file is a per-sample log or a dump, reported and skipped. */
    static final long MAX_FILE_BYTES = 64L << 20;

    /** One candidate file, its name for step finding and reports, and what identifies its content. */
    record Candidate(Path file, String name, long size, long modifiedMs) {
    }

    private EvalFiles() {
    }

    /**
     * The candidate result files of {@code root}, sorted by path: the file itself, or every file below the
     * directory (hidden files and directories skipped). A file is named by its path from the directory's parent
     * (so the directory's own name, often the checkpoint, counts), a single file by its last three path names.
     */
    static List<Candidate> list(Path root) throws IOException {
        return list(root, Set.of());
    }

    /** As {@link #list(Path)}, without the {@code excluded} files (absolute, normalized): our own output. */
    static List<Candidate> list(Path root, Set<Path> excluded) throws IOException {
        List<Candidate> found = new ArrayList<>();
        if (Files.isRegularFile(root)) {
            if (isCandidate(root)) {
                found.add(candidate(root, lastNames(root.toAbsolutePath().normalize(), 3)));
            }
            return found;
        }
        Path base = root.toAbsolutePath().normalize();
        Path parent = base.getParent() == null ? base : base.getParent();
        try (Stream<Path> walk = Files.walk(base)) {
            for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
                if (isCandidate(file) && !hidden(base.relativize(file.toAbsolutePath().normalize()))
                        && !excluded.contains(file.toAbsolutePath().normalize())) {
                    found.add(candidate(file, parent.relativize(file.toAbsolutePath().normalize()).toString()
                            .replace('\\', '/')));
                }
            }
        }
        return found;
    }

    static boolean isCandidate(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && !name.startsWith(".")
                && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private static boolean hidden(Path relative) {
        for (Path name : relative) {
            if (name.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static String lastNames(Path path, int count) {
        int from = Math.max(0, path.getNameCount() - count);
        return path.subpath(from, path.getNameCount()).toString().replace('\\', '/');
    }

    private static Candidate candidate(Path file, String name) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        return new Candidate(file, name, attributes.size(), attributes.lastModifiedTime().toMillis());
    }

    /** Reads and parses one candidate; an unreadable or oversized file becomes a report, never an exception. */
    static EvalFileResult read(EvalResultParser parser, String run, Candidate candidate, OptionalLong fallbackStep) {
        if (candidate.size() > MAX_FILE_BYTES) {
            return tooLarge(candidate);
        }
        String text;
        try {
            text = Files.readString(candidate.file(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return new EvalFileResult(candidate.name(), io.runwatch.ingest.evals.EvalFormat.UNREADABLE,
                    io.runwatch.ingest.evals.StepOrigin.NONE, List.of(), 0, 0, List.of("cannot read: " + e));
        }
        return parser.parse(run, candidate.name(), text, fallbackStep);
    }

    private static EvalFileResult tooLarge(Candidate candidate) {
        return new EvalFileResult(candidate.name(), io.runwatch.ingest.evals.EvalFormat.NOT_RESULTS,
                io.runwatch.ingest.evals.StepOrigin.NONE, List.of(), 0, 0, List.of(
                "larger than " + (MAX_FILE_BYTES >> 20) + " MiB: a per-sample log, not a result file; skipped"));
    }
}
