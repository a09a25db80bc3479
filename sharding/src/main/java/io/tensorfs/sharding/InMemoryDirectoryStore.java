package io.tensorfs.sharding;

import io.tensorfs.core.TfsPath;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link DirectoryStore} in this process's memory, for tests (chosen by
 * {@code tensorfs.sharding.directories.store = memory}; lost when the process ends). Thread-safe; counts
 * its reads and writes so tests can see batching.
 */
public final class InMemoryDirectoryStore implements DirectoryStore {
  private final Map<TfsPath, ConcurrentSkipListMap<String, DirEntry.Type>> dirs = new ConcurrentHashMap<>();
  private final AtomicLong lookups = new AtomicLong();
  private final AtomicLong writes = new AtomicLong();

  @Override
  public CompletionStage<Map<String, DirEntry.Type>> lookup(TfsPath dir, Collection<String> names) {
    lookups.incrementAndGet();
    NavigableMap<String, DirEntry.Type> entries = dirs.getOrDefault(dir, new ConcurrentSkipListMap<>());
    Map<String, DirEntry.Type> found = new HashMap<>();
    for (String name : names) {
      DirEntry.Type type = entries.get(name);
      if (type != null) found.put(name, type);
    }
    return CompletableFuture.completedFuture(found);
  }

  @Override
  public CompletionStage<Void> apply(TfsPath dir, List<Change> changes) {
    writes.incrementAndGet();
    ConcurrentSkipListMap<String, DirEntry.Type> entries = dirs.computeIfAbsent(dir, d -> new ConcurrentSkipListMap<>());
    for (Change change : changes) {
      if (change.removes()) entries.remove(change.name());
      else entries.put(change.name(), change.type());
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<List<Entry>> page(TfsPath dir, String afterName, int limit) {
    NavigableMap<String, DirEntry.Type> entries = dirs.getOrDefault(dir, new ConcurrentSkipListMap<>());
    NavigableMap<String, DirEntry.Type> tail = afterName == null ? entries : entries.tailMap(afterName, false);
    List<Entry> page = new ArrayList<>(Math.min(limit, 1024));
    for (Map.Entry<String, DirEntry.Type> e : tail.entrySet()) {
      if (page.size() == limit) break;
      page.add(new Entry(e.getKey(), e.getValue()));
    }
    return CompletableFuture.completedFuture(page);
  }

  /** Lookups answered so far (one per batch of names the entities did not know). */
  public long lookups() {
    return lookups.get();
  }

  /** Writes applied so far (one per batch). */
  public long writes() {
    return writes.get();
  }
}
