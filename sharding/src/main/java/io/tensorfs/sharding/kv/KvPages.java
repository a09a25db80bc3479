package io.tensorfs.sharding.kv;

import io.tensorfs.core.memory.Page;
import io.tensorfs.core.memory.PagePool;

/**
 * Where KV blocks get their memory: whole pages of the node's page pool, shared with the chunk cache (which
 * evicts its own files to lend one). Thread-safe.
 */
public interface KvPages {
  /** Bytes of every page this source gives. */
  int pageBytes();

  /** One page with one reference, now the caller's until it releases it; null when none can be had. */
  Page take();

  /** Pages taken straight from {@code pool}, evicting nothing (a node without a chunk cache, a benchmark). */
  static KvPages from(PagePool pool) {
    return new KvPages() {
      @Override public int pageBytes() { return pool.pageBytes(); }
      @Override public Page take() { return pool.tryAcquire(); }
    };
  }
}
