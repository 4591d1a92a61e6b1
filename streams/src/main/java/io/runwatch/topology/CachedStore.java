package io.runwatch.topology;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.internals.InternalProcessorContext;
import org.apache.kafka.streams.processor.internals.ProcessorContextUtils;
import org.apache.kafka.streams.processor.internals.ProcessorRecordContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;
import org.apache.kafka.streams.state.internals.WrappedStateStore;

/**
 * Detector state of runs as live objects, written to the store underneath (RocksDB and its changelog) once per
 * commit instead of once per record: a run's state is several KB while its record is ~200 B, and a run sends
 * many records between two commits (100 ms).
 *
 * <p>Exactly-once: a processor changes an object and calls {@link #put}, which only marks it dirty. Kafka Streams
 * calls {@link #flushCache} on every registered store while it prepares a commit, before it flushes the producer
 * and commits the transaction with the input offsets (the same hook its own {@code CachingKeyValueStore} uses);
 * the dirty objects are serialized and written there, so their changelog records are in the transaction of the
 * inputs that changed them. A task that fails between commits is closed dirty: {@link #close} and
 * {@link #clearCache} drop the unwritten objects, and the task resumes from the store, which holds exactly the
 * committed state. A dirty object evicted by the cache bound is written at once, in the open transaction.
 *
 * <p>Memory: at most {@code maxObjects} objects are kept (least recently used clean ones go first); a run read
 * again after its eviction is deserialized from the store. When not {@code durable} (a backtest replay, which
 * starts from nothing and keeps nothing) the objects are the state: never written, never evicted.
 *
 * <p>Interactive queries read the store underneath (committed state), never the live objects, which belong to
 * the stream thread.
 */
final class CachedStore<T> implements StateStore, CachedStateStore<String, T>, ReadOnlyKeyValueStore<String, T> {
    private final KeyValueStore<String, T> inner;
    private final boolean durable;
    private final int maxObjects;
    /** Live objects, least recently used first. */
    private final LinkedHashMap<String, Entry<T>> objects = new LinkedHashMap<>(16, 0.75f, true);
    /**
     * The entries changed since the last commit, each once, in the order they were first changed: a commit walks
     * this list instead of looking every key up again (at 1,000 runs those lookups were cache misses worth ~4 %
     * of the stream thread). Entries deleted or evicted meanwhile are no longer {@link Entry#dirty} and skipped.
     */
    private final ArrayList<Entry<T>> dirty = new ArrayList<>();
    /** The entry of the last lookup: a processor reads a run's object and then puts it back. */
    private Entry<T> last;
    private InternalProcessorContext<?, ?> context;

    /** A live object and whether it awaits its write, with the record context that last changed it. */
    private static final class Entry<T> {
        final String key;
        T value;
        boolean dirty;
        ProcessorRecordContext changedBy;

        Entry(String key, T value) {
            this.key = key;
            this.value = value;
        }
    }

    CachedStore(KeyValueStore<String, T> inner, boolean durable, int maxObjects) {
        this.inner = inner;
        this.durable = durable;
        this.maxObjects = maxObjects;
    }

    // ---- the processors' side -------------------------------------------------------------------------

    T getOrCreate(String key, Supplier<T> fresh) {
        T value = getIfPresent(key);
        if (value == null) {
            Entry<T> entry = new Entry<>(key, fresh.get());
            objects.put(key, entry);
            last = entry;
            markDirty(entry);
            evictOverBound();
            value = entry.value;
        }
        return value;
    }

    T getIfPresent(String key) {
        Entry<T> entry = objects.get(key);
        if (entry == null && durable) {
            T stored = inner.get(key);
            if (stored != null) {
                entry = new Entry<>(key, stored);
                objects.put(key, entry);
                evictOverBound();
            }
        }
        last = entry;
        return entry == null ? null : entry.value;
    }

    /** The object of {@code key} changed (or is new): written with the next commit. */
    void put(String key, T value) {
        // the entry just read needs no second lookup (last is cleared whenever its entry leaves the map)
        Entry<T> entry = last != null && last.key.equals(key) ? last : objects.get(key);
        if (entry == null) {
            entry = new Entry<>(key, value);
            objects.put(key, entry);
        }
        entry.value = value;
        last = entry;
        markDirty(entry);
        evictOverBound();
    }

    /** Deletes at once (rare: expiry), so that the store never returns a deleted key's old value. */
    void delete(String key) {
        Entry<T> entry = objects.remove(key);
        if (entry != null) {
            entry.dirty = false;
        }
        last = null;
        if (durable) {
            inner.delete(key);
        }
    }

    /** Every key, for punctuators (a copy: callers may modify the store while walking it). */
    List<String> keys() {
        return keysWithPrefix("");
    }

    /**
     * The keys with a prefix, read without deserializing a value: the committed keys from the bytes store under
     * the serde layer, plus the new ones not yet written.
     */
    List<String> keysWithPrefix(String prefix) {
        List<String> keys = new ArrayList<>();
        if (!durable) {
            objects.keySet().stream().filter(k -> k.startsWith(prefix)).forEach(keys::add);
            return keys;
        }
        Set<String> dirtyKeys = new HashSet<>();
        for (Entry<T> entry : dirty) {
            if (entry.dirty) {
                dirtyKeys.add(entry.key);
            }
        }
        KeyValueStore<Bytes, byte[]> bytes = bytesStore();
        var deserializer = Serdes.String().deserializer();
        try (KeyValueIterator<Bytes, byte[]> it = bytes.prefixScan(prefix, Serdes.String().serializer())) {
            while (it.hasNext()) {
                String key = deserializer.deserialize(null, it.next().key.get());
                if (!dirtyKeys.contains(key)) {
                    keys.add(key);
                }
            }
        }
        int committed = keys.size();
        dirtyKeys.stream().filter(k -> k.startsWith(prefix)).forEach(keys::add);
        if (keys.size() > committed) {
            keys.sort(null); // in key order, as the store lists them, whatever was written when
        }
        return keys;
    }

    /** Objects held in memory now (for tests and the bench). */
    int objectCount() {
        return objects.size();
    }

    private void markDirty(Entry<T> entry) {
        if (durable) {
            entry.changedBy = context == null ? null : context.recordContext();
            if (!entry.dirty) {
                entry.dirty = true;
                dirty.add(entry);
            }
        }
    }

    private void evictOverBound() {
        if (!durable || objects.size() <= maxObjects) {
            return;
        }
        Iterator<Map.Entry<String, Entry<T>>> eldest = objects.entrySet().iterator();
        while (objects.size() > maxObjects && eldest.hasNext()) {
            Entry<T> entry = eldest.next().getValue();
            if (entry.dirty) {
                write(entry);
            }
            if (entry == last) {
                last = null;
            }
            eldest.remove();
        }
    }

    /** Writes one object under the record context that changed it, as Kafka's cache does when it flushes. */
    private void write(Entry<T> entry) {
        entry.dirty = false;
        ProcessorRecordContext changedBy = entry.changedBy;
        entry.changedBy = null;
        ProcessorRecordContext current = context.recordContext();
        ProcessorRecordContext writeUnder = changedBy != null ? changedBy : current != null ? current
                : new ProcessorRecordContext(context.currentSystemTimeMs(), -1, -1, null, new RecordHeaders());
        context.setRecordContext(writeUnder);
        try {
            inner.put(entry.key, entry.value);
        } finally {
            context.setRecordContext(current);
        }
    }

    @SuppressWarnings("unchecked")
    private KeyValueStore<Bytes, byte[]> bytesStore() {
        return ((WrappedStateStore<KeyValueStore<Bytes, byte[]>, String, T>) inner).wrapped();
    }

    // ---- Kafka Streams' side --------------------------------------------------------------------------

    @Override
    public void init(StateStoreContext stateStoreContext, StateStore root) {
        forgetAll();
        context = ProcessorContextUtils.asInternalProcessorContext(stateStoreContext);
        inner.init(stateStoreContext, root);
    }

    /** Called while Streams prepares a commit, before the transaction commits: the dirty objects go out here. */
    @Override
    public void flushCache() {
        if (!dirty.isEmpty()) {
            for (Entry<T> entry : dirty) {
                if (entry.dirty) {
                    write(entry);
                }
            }
            dirty.clear();
        }
        if (inner instanceof CachedStateStore<?, ?> cached) {
            cached.flushCache();
        }
    }

    /** Called when the task's state is recycled (active to standby and back): the store may change under us. */
    @Override
    public void clearCache() {
        forgetAll();
        if (inner instanceof CachedStateStore<?, ?> cached) {
            cached.clearCache();
        }
    }

    private void forgetAll() {
        objects.clear();
        dirty.clear();
        last = null;
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<String, T> listener, boolean sendOldValues) {
        return false;
    }

    @Override
    public void commit(Map<TopicPartition, Long> changelogOffsets) {
        inner.commit(changelogOffsets);
    }

    @Override
    public boolean managesOffsets() {
        return inner.managesOffsets();
    }

    @Override
    public Long committedOffset(TopicPartition partition) {
        return inner.committedOffset(partition);
    }

    @Override
    public long approximateNumUncommittedBytes() {
        return inner.approximateNumUncommittedBytes();
    }

    @Override
    public Position getPosition() {
        return inner.getPosition();
    }

    @Override
    public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
        return inner.query(query, positionBound, config);
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public void close() {
        forgetAll(); // a clean close committed first; a dirty one must not keep what was never committed
        inner.close();
    }

    @Override
    public boolean persistent() {
        return inner.persistent();
    }

    @Override
    public boolean isOpen() {
        return inner.isOpen();
    }

    // ---- interactive queries: the committed state underneath -------------------------------------------

    @Override
    public T get(String key) {
        return inner.get(key);
    }

    @Override
    public KeyValueIterator<String, T> range(String from, String to) {
        return inner.range(from, to);
    }

    @Override
    public KeyValueIterator<String, T> all() {
        return inner.all();
    }

    @Override
    public <PS extends org.apache.kafka.common.serialization.Serializer<P>, P> KeyValueIterator<String, T> prefixScan(
            P prefix, PS prefixKeySerializer) {
        return inner.prefixScan(prefix, prefixKeySerializer); // the interface's default throws
    }

    @Override
    public KeyValueIterator<String, T> reverseRange(String from, String to) {
        return inner.reverseRange(from, to);
    }

    @Override
    public KeyValueIterator<String, T> reverseAll() {
        return inner.reverseAll();
    }

    @Override
    public long approximateNumEntries() {
        return inner.approximateNumEntries();
    }
}
