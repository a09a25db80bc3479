package io.tensorfs.store.cache;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.memory.Page;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One chunk the cache holds pages for. Guarded by the {@link ChunkCache}'s lock, except the futures
 * (thread-safe) and {@link #removed} (read by the flusher without the lock). The cache holds one
 * reference on each of {@link #pages} until it releases them, exactly once.
 */
final class CacheEntry {
  enum State { LOADING, WRITING, CLEAN, DIRTY }

  final ChunkId id;
  final List<Page> pages = new ArrayList<>();
  /** Completes when a load ends, exceptionally when it failed. */
  final CompletableFuture<Void> loaded = new CompletableFuture<>();
  /** Completes when the entry is no longer dirty: flushed, dropped or evicted. */
  final CompletableFuture<Void> settled = new CompletableFuture<>();
  State state;
  long length;
  TfsPath owner;
  String storeId;
  int crc32c;
  /** Order in which chunks became dirty. */
  long dirtySince;
  boolean flushing;
  boolean pagesReleased;
  /** Left the index (evicted, dropped, failed or replaced); never comes back. */
  volatile boolean removed;

  CacheEntry(ChunkId id, State state, long length, TfsPath owner, String storeId) {
    this.id = id;
    this.state = state;
    this.length = length;
    this.owner = owner;
    this.storeId = storeId;
  }

  boolean resident() {
    return state == State.CLEAN || state == State.DIRTY;
  }

  /** Whether anyone besides the cache holds one of the pages: a reader, or the flusher. */
  boolean heldByOthers() {
    for (Page page : pages) {
      if (page.refCount() > 1) return true;
    }
    return false;
  }

  @Override
  public String toString() {
    return "CacheEntry(" + id + ", " + state + ", " + pages.size() + " pages)";
  }
}
