package io.runwatch.app;

import io.runwatch.ingest.evals.EvalFileResult;
import io.runwatch.ingest.evals.EvalResultParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code import-evals --watch}: polls a directory tree for result files that are new or rewritten. A file is
 * ready once its size and modification time are unchanged between two polls (a harness writing it is done), and
 * is remembered by path, size and mtime in a small state file once its records are sent, so a restarted watcher
 * does not send it again. A file that changes later (a re-evaluation written in place) is imported again.
 */
final class EvalWatcher {
    /** One file ready to send, and the identity it will be remembered by. */
    record Ready(EvalFiles.Candidate candidate, EvalFileResult result) {
    }

    private record Seen(long size, long modifiedMs) {
    }

    private final Path root;
    private final Path stateFile;
    private final EvalResultParser parser;
    private final String run;
    private final OptionalLong fallbackStep;
    private final Set<Path> excluded;
    private final Map<String, Seen> imported;
    /** What the previous poll saw of files not yet imported: a file is ready when it has not changed since. */
    private Map<String, Seen> pending = new HashMap<>();

    EvalWatcher(Path root, Path stateFile, EvalResultParser parser, String run, OptionalLong fallbackStep)
            throws IOException {
        this(root, stateFile, parser, run, fallbackStep, Set.of());
    }

    /** {@code excluded}: files never to import (absolute, normalized), such as the watcher's own output. */
    EvalWatcher(Path root, Path stateFile, EvalResultParser parser, String run, OptionalLong fallbackStep,
                Set<Path> excluded) throws IOException {
        this.excluded = excluded;
        this.root = root;
        this.stateFile = stateFile;
        this.parser = parser;
        this.run = run;
        this.fallbackStep = fallbackStep;
        this.imported = load(stateFile);
    }

    /** The files that became ready since the last poll, parsed, in step order. */
    List<Ready> poll() throws IOException {
        List<Ready> ready = new ArrayList<>();
        Map<String, Seen> nowPending = new HashMap<>();
        for (EvalFiles.Candidate candidate : EvalFiles.list(root, excluded)) {
            String key = candidate.file().toAbsolutePath().normalize().toString();
            Seen seen = new Seen(candidate.size(), candidate.modifiedMs());
            if (seen.equals(imported.get(key))) {
                continue;
            }
            if (seen.equals(pending.get(key))) {
                ready.add(new Ready(candidate, EvalFiles.read(parser, run, candidate, fallbackStep)));
            } else {
                nowPending.put(key, seen);
            }
        }
        pending = nowPending;
        ready.sort(java.util.Comparator.comparingLong(r -> r.result().step().step()));
        return ready;
    }

    /** Remembers a file as sent (call after its records were acknowledged). */
    void imported(Ready ready) throws IOException {
        EvalFiles.Candidate c = ready.candidate();
        imported.put(c.file().toAbsolutePath().normalize().toString(), new Seen(c.size(), c.modifiedMs()));
        save();
    }

    int rememberedFiles() {
        return imported.size();
    }

    /** One line per file: size, mtime (epoch ms), path; written to a temporary file and moved into place. */
    private void save() throws IOException {
        StringBuilder text = new StringBuilder(
                "# runwatch import-evals --watch: files already sent (size, mtime ms, path)\n");
        new TreeMap<>(imported).forEach((path, seen) -> text.append(seen.size()).append('\t')
                .append(seen.modifiedMs()).append('\t').append(path).append('\n'));
        Path parent = stateFile.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path temporary = Files.createTempFile(parent, ".import-evals", ".tmp");
        Files.writeString(temporary, text, StandardCharsets.UTF_8);
        Files.move(temporary, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Map<String, Seen> load(Path stateFile) throws IOException {
        Map<String, Seen> state = new HashMap<>();
        if (!Files.exists(stateFile)) {
            return state;
        }
        for (String line : Files.readAllLines(stateFile, StandardCharsets.UTF_8)) {
            String[] fields = line.split("\t", 3);
            if (line.startsWith("#") || fields.length != 3) {
                continue;
            }
            try {
                state.put(fields[2], new Seen(Long.parseLong(fields[0]), Long.parseLong(fields[1])));
            } catch (NumberFormatException e) {
                // A damaged line only means that file is imported once more.
            }
        }
        return state;
    }
}
