package io.tensorfs.store.cache;

import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;

/**
 * The cache's metrics, read from {@link ChunkCache#stats()} at every tick: capacity, used, pinned and
 * dirty bytes, resident files, and hits, misses and evictions since the cache started.
 */
final class CacheMetrics {
  private CacheMetrics() {}

  static void register(ChunkCache cache) {
    Tags none = Tags.EMPTY;
    Metrics.gauge("tensorfs.cache.capacity", Unit.BYTES, none, cache, c -> c.stats().capacityBytes());
    Metrics.gauge("tensorfs.cache.used", Unit.BYTES, none, cache, c -> c.stats().usedBytes());
    Metrics.gauge("tensorfs.cache.pinned", Unit.BYTES, none, cache, c -> c.stats().pinnedBytes());
    Metrics.gauge("tensorfs.cache.dirty", Unit.BYTES, none, cache, c -> c.stats().dirtyBytes());
    Metrics.gauge("tensorfs.cache.files", Unit.NONE, none, cache, c -> c.stats().files());
    Metrics.counter("tensorfs.cache.hits", Unit.NONE, none, cache, c -> c.stats().hits());
    Metrics.counter("tensorfs.cache.misses", Unit.NONE, none, cache, c -> c.stats().misses());
    Metrics.counter("tensorfs.cache.evictions", Unit.NONE, none, cache, c -> c.stats().evictions());
  }
}
