package io.tensorfs.sharding.kv;

import io.tensorfs.core.memory.Page;

/**
 * A run of grains of one page held by a KV block: bytes {@code [grain * GRAIN_BYTES, (grain + grains) *
 * GRAIN_BYTES)} of {@code page}. Immutable.
 */
record KvExtent(Page page, int grain, int grains) {
  long bytes() {
    return (long) grains * KvSlab.GRAIN_BYTES;
  }
}
