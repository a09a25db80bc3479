package io.tensorfs.sharding.kv;

import io.tensorfs.core.FileId;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The keys of one bucket of a tenant's KV index, as held by the node whose {@link KvIndexEntity} runs it.
 * Callers on that node use it directly (see {@link KvBuckets}); the entity serves the other nodes' asks
 * with it. Closed when the entity stops (its shard moves away or its node stops): from then on every call
 * answers {@code null}, and the caller asks through cluster sharding instead, which reaches the bucket
 * where it runs next. Since a bucket starts elsewhere only after its entity here has stopped, an answer
 * given while open was the bucket's truth at that moment. Thread-safe (one lock; every call is short).
 * Past {@code maxEntries} keys the least recently put is forgotten.
 */
public final class KvBucket {
  private final LinkedHashMap<String, KvEntry> entries;
  private boolean closed;

  public KvBucket(int maxEntries) {
    this.entries = new LinkedHashMap<>(16, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, KvEntry> eldest) {
        return size() > maxEntries;
      }
    };
  }

  /** Sets the key's entry; the one it replaced (empty for none), or null when closed. */
  public synchronized Optional<KvEntry> put(String key, KvEntry entry) {
    if (closed) return null;
    // Removed first so that a re-put makes the key the youngest: the bound forgets the least recently put.
    KvEntry old = entries.remove(key);
    entries.put(key, entry);
    return Optional.ofNullable(old);
  }

  /** The key's entry (empty for none), or null when closed. */
  public synchronized Optional<KvEntry> get(String key) {
    if (closed) return null;
    return Optional.ofNullable(entries.get(key));
  }

  /** The entries of the present keys, or null when closed. */
  public synchronized Map<String, KvEntry> getAll(List<String> keys) {
    if (closed) return null;
    Map<String, KvEntry> found = new HashMap<>();
    for (String k : keys) {
      KvEntry e = entries.get(k);
      if (e != null) found.put(k, e);
    }
    return found;
  }

  /** Forgets the key; the entry it had (empty for none), or null when closed. */
  public synchronized Optional<KvEntry> remove(String key) {
    if (closed) return null;
    return Optional.ofNullable(entries.remove(key));
  }

  /** Forgets the key only if it still names {@code blockId}. */
  public synchronized void forget(String key, FileId blockId) {
    KvEntry e = entries.get(key);
    if (e != null && e.blockId().equals(blockId)) entries.remove(key);
  }

  /** Called by the entity as it stops: the bucket answers nothing from now on. */
  public synchronized void close() {
    closed = true;
    entries.clear();
  }

  public synchronized int size() {
    return entries.size();
  }
}
