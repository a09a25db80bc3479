package io.tensorfs.sharding.kv;

import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;

/**
 * The node's KV-block metrics, read from its {@link KvBlockStore} at every tick: blocks held, their bytes,
 * the memory allocated to them (4 KiB grains) and the pool pages that memory lies in, and evictions.
 */
final class KvMetrics {
  private KvMetrics() {}

  static void register(KvBlockStore store) {
    Tags none = Tags.EMPTY;
    Metrics.gauge("tensorfs.kv.blocks", "KV blocks this node holds", Unit.NONE, none, store, KvBlockStore::heldBlocks);
    Metrics.gauge("tensorfs.kv.bytes", "Bytes of the KV blocks this node holds (their lengths)", Unit.BYTES, none, store, KvBlockStore::heldBytes);
    Metrics.gauge("tensorfs.kv.allocated", "Memory allocated to KV blocks, in 4 KiB grains", Unit.BYTES, none, store, KvBlockStore::allocatedBytes);
    Metrics.gauge("tensorfs.kv.pages", "Pool pages KV blocks take", Unit.BYTES, none, store, KvBlockStore::pageBytes);
    Metrics.counter("tensorfs.kv.evictions", "KV blocks evicted to make room", Unit.NONE, none, store, KvBlockStore::evictions);
  }
}
