package io.tensorfs.gpu.internal;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The client allocations a GpuSink has open, keyed by IPC handle, least recently used first. Each open
 * allocation counts the copies using it; beyond {@code capacity} entries, the least recently used idle one
 * is closed. An allocation in use is never closed by eviction: the cache may hold more than its capacity
 * until those copies finish. Not thread safe: owned by the sink's thread.
 *
 * @param <V> what an open allocation is (its device address, for the sink)
 */
public final class IpcHandleCache<V> {
  private final int capacity;
  private final Consumer<? super V> closer;
  private final LinkedHashMap<IpcKey, Entry<V>> entries = new LinkedHashMap<>(16, 0.75f, true);

  private static final class Entry<V> {
    final V value;
    int uses;

    Entry(V value) {
      this.value = value;
    }
  }

  public IpcHandleCache(int capacity, Consumer<? super V> closer) {
    if (capacity < 1) throw new IllegalArgumentException("capacity must be at least 1");
    this.capacity = capacity;
    this.closer = closer;
  }

  /**
   * The open allocation of {@code key}, opened with {@code opener} when absent, with one more use counted.
   * An exception of the opener leaves the cache as it was.
   */
  public V acquire(IpcKey key, Function<IpcKey, ? extends V> opener) {
    Entry<V> entry = entries.get(key);
    if (entry == null) {
      entry = new Entry<>(opener.apply(key));
      entries.put(key, entry);
    }
    entry.uses++;
    evictIdle();
    return entry.value;
  }

  /** Counts one use of {@code key} less; closes idle entries beyond the capacity. */
  public void release(IpcKey key) {
    Entry<V> entry = entries.get(key);
    if (entry == null || entry.uses == 0) {
      throw new IllegalStateException("release of " + key + " that is not in use");
    }
    entry.uses--;
    evictIdle();
  }

  /** Closes every entry, in use or not: for the sink's stop, once no copy can still run. */
  public void closeAll() {
    List<V> open = new ArrayList<>();
    entries.values().forEach(e -> open.add(e.value));
    entries.clear();
    open.forEach(closer);
  }

  public int size() {
    return entries.size();
  }

  public boolean contains(IpcKey key) {
    return entries.containsKey(key);
  }

  /** The copies using {@code key} now; 0 when absent. Does not count as a use for the LRU order. */
  public int uses(IpcKey key) {
    for (Map.Entry<IpcKey, Entry<V>> e : entries.entrySet()) {
      if (e.getKey().equals(key)) return e.getValue().uses;
    }
    return 0;
  }

  private void evictIdle() {
    Iterator<Entry<V>> it = entries.values().iterator();
    while (entries.size() > capacity && it.hasNext()) {
      Entry<V> e = it.next();
      if (e.uses == 0) {
        it.remove();
        closer.accept(e.value);
      }
    }
  }
}
