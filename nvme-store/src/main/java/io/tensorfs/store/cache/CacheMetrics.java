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
    Metrics.gauge("tensorfs.cache.capacity", "Memory of the chunk cache", Unit.BYTES, none, cache, c -> c.stats().capacityBytes());
    Metrics.gauge("tensorfs.cache.used", "Pages the cache holds (resident, loading or being written)", Unit.BYTES, none, cache, c -> c.stats().usedBytes());
    Metrics.gauge("tensorfs.cache.pinned", "Pages of resident chunks of pinned files", Unit.BYTES, none, cache, c -> c.stats().pinnedBytes());
    Metrics.gauge("tensorfs.cache.dirty", "Bytes of resident chunks not yet written to their store", Unit.BYTES, none, cache, c -> c.stats().dirtyBytes());
    Metrics.gauge("tensorfs.cache.files", "Files with at least one resident chunk", Unit.NONE, none, cache, c -> c.stats().files());
    Metrics.counter("tensorfs.cache.hits", "Cache lookups and loads that found their chunk resident", Unit.NONE, none, cache, c -> c.stats().hits());
    Metrics.counter("tensorfs.cache.misses", "Cache loads that did not find their chunk resident", Unit.NONE, none, cache, c -> c.stats().misses());
    Metrics.counter("tensorfs.cache.evictions", "Files evicted from the cache to make room", Unit.NONE, none, cache, c -> c.stats().evictions());
  }
}
