package io.runwatch.topology;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A store of detector state with the deserialized objects kept in memory: reads come from the map, writes go
 * to both, so each record costs one serialization (for the changelog) instead of a round trip. Lives as long as
 * its processor instance, which Streams re-creates whenever the task's state is re-initialized.
 */
final class CachedStore<T> {
    private final KeyValueStore<String, T> store;
    private final Map<String, T> objects = new HashMap<>();

    CachedStore(KeyValueStore<String, T> store) {
        this.store = store;
    }

    T getOrCreate(String key, Supplier<T> fresh) {
        T value = objects.get(key);
        if (value == null) {
            value = store.get(key);
            if (value == null) {
                value = fresh.get();
            }
            objects.put(key, value);
        }
        return value;
    }

    T getIfPresent(String key) {
        T value = objects.get(key);
        return value != null ? value : store.get(key);
    }

    void put(String key, T value) {
        objects.put(key, value);
        store.put(key, value);
    }

    void delete(String key) {
        objects.remove(key);
        store.delete(key);
    }

    KeyValueStore<String, T> store() {
        return store;
    }
}
