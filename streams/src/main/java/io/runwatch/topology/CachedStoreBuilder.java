package io.runwatch.topology;

import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;

/** Builds a {@link CachedStore} over the key-value store (metered, changelogged, RocksDB) its delegate builds. */
final class CachedStoreBuilder<T> implements StoreBuilder<CachedStore<T>> {
    private final StoreBuilder<KeyValueStore<String, T>> inner;
    private final boolean durable;
    private final int maxObjects;

    CachedStoreBuilder(StoreBuilder<KeyValueStore<String, T>> inner, boolean durable, int maxObjects) {
        this.inner = inner;
        this.durable = durable;
        this.maxObjects = maxObjects;
    }

    @Override
    public StoreBuilder<CachedStore<T>> withCachingEnabled() {
        throw new UnsupportedOperationException("a CachedStore is the cache; Kafka's record cache under it "
                + "would only copy the bytes again");
    }

    @Override
    public StoreBuilder<CachedStore<T>> withCachingDisabled() {
        inner.withCachingDisabled();
        return this;
    }

    @Override
    public StoreBuilder<CachedStore<T>> withLoggingEnabled(Map<String, String> config) {
        inner.withLoggingEnabled(config);
        return this;
    }

    @Override
    public StoreBuilder<CachedStore<T>> withLoggingDisabled() {
        inner.withLoggingDisabled();
        return this;
    }

    @Override
    public CachedStore<T> build() {
        return new CachedStore<>(inner.build(), durable, maxObjects);
    }

    @Override
    public Map<String, String> logConfig() {
        return inner.logConfig();
    }

    @Override
    public boolean loggingEnabled() {
        return inner.loggingEnabled();
    }

    @Override
    public String name() {
        return inner.name();
    }
}
