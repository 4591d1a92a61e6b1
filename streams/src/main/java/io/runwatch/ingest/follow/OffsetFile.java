package io.runwatch.ingest.follow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runwatch.contract.Json;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The tailer's small offset file: a {@link TailState} as one JSON object, replaced atomically (written to a temp
 * file beside it, forced to disk, renamed over it), so a crash leaves either the old or the new state, never half
 * of one. The same JSON travels as a Kafka header on the last record of each transaction.
 */
public final class OffsetFile {
    private final Path path;

    public OffsetFile(Path path) {
        this.path = path.toAbsolutePath().normalize();
    }

    public Path path() {
        return path;
    }

    public Optional<TailState> load() throws IOException {
        if (!Files.exists(path)) {
            return Optional.empty();
        }
        try {
            return Optional.of(fromJson(Files.readString(path, StandardCharsets.UTF_8)));
        } catch (IllegalArgumentException e) {
            throw new IOException("unreadable offset file " + path + ": " + e.getMessage(), e);
        }
    }

    public void save(TailState state) throws IOException {
        Path dir = path.getParent();
        Files.createDirectories(dir);
        Path temp = dir.resolve(path.getFileName() + ".tmp");
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            out.write(java.nio.ByteBuffer.wrap(toJson(state).getBytes(StandardCharsets.UTF_8)));
            out.force(true);
        }
        try {
            Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, path, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    public static String toJson(TailState state) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("version", 1);
        root.put("tailer_id", state.tailerId());
        root.put("transaction", state.transaction());
        root.put("saved_at_ms", state.savedAtMs());
        ObjectNode sources = root.putObject("sources");
        state.sources().forEach((id, source) -> {
            ObjectNode node = sources.putObject(id);
            node.put("file_key", source.position().fileKey());
            node.put("offset", source.position().offset());
            node.put("fingerprint", source.position().fingerprint());
            node.put("flushed", source.flushed());
        });
        ArrayNode started = root.putArray("started_runs");
        state.startedRuns().forEach(started::add);
        return root.toString();
    }

    public static TailState fromJson(String json) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject() || root.path("version").asInt() != 1) {
            throw new IllegalArgumentException("not a version 1 tail state");
        }
        Map<String, TailState.SourceState> sources = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("sources").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode node = entry.getValue();
            sources.put(entry.getKey(), new TailState.SourceState(new FilePosition(node.path("file_key").asText(""),
                    node.path("offset").asLong(0), node.path("fingerprint").asLong(0)),
                    node.path("flushed").asBoolean(false)));
        }
        Set<String> started = new TreeSet<>();
        root.path("started_runs").forEach(run -> started.add(run.asText()));
        return new TailState(root.path("tailer_id").asText(""), root.path("transaction").asLong(0), root.path("saved_at_ms").asLong(0), sources,
                started);
    }
}
