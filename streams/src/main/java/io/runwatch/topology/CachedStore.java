package io.runwatch.topology;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A store of detector state with the deserialized objects kept in memory: reads come from the map, writes go
 * to both, so each record costs one serialization (for the changelog) instead of a round trip. Lives as long as
 * its processor instance, which Streams re-creates whenever the task's state is re-initialized.
 *
 * <p>When not {@code durable} (a backtest replay, which starts from nothing and keeps nothing) the map is the
 * state and the store is not written at all: no serialization per record.
 */
final class CachedStore<T> {
    private final KeyValueStore<String, T> store;
    private final boolean durable;
    private final Map<String, T> objects = new HashMap<>();

    CachedStore(KeyValueStore<String, T> store, boolean durable) {
        this.store = store;
        this.durable = durable;
    }

    T getOrCreate(String key, Supplier<T> fresh) {
        T value = getIfPresent(key);
        if (value == null) {
            value = fresh.get();
            objects.put(key, value);
        }
        return value;
    }

    T getIfPresent(String key) {
        T value = objects.get(key);
        if (value == null && durable) {
            value = store.get(key);
            if (value != null) {
                objects.put(key, value);
            }
        }
        return value;
    }

    void put(String key, T value) {
        objects.put(key, value);
        if (durable) {
            store.put(key, value);
        }
    }

    void delete(String key) {
        objects.remove(key);
        if (durable) {
            store.delete(key);
        }
    }

    /** Every key, for punctuators (a copy: callers may modify the store while walking it). */
    List<String> keys() {
        return keysWithPrefix("");
    }

    List<String> keysWithPrefix(String prefix) {
        List<String> keys = new ArrayList<>();
        if (!durable) {
            objects.keySet().stream().filter(k -> k.startsWith(prefix)).forEach(keys::add);
            return keys;
        }
        try (KeyValueIterator<String, T> it = store.prefixScan(prefix, Serdes.String().serializer())) {
            it.forEachRemaining(entry -> keys.add(entry.key));
        }
        return keys;
    }
}
