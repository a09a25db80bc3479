package io.tensorfs.sharding;

import io.tensorfs.core.TfsPath;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The sealed versions this node has been given for reads, each usable while its lease holds: a read that
 * finds one asks no entity. An entry is put only by {@link #offer} with the time its ask was sent, so its
 * lease ends before the one the entity counts. {@link #invalidate} (the entity's word that a version is
 * replaced or deleted) removes it and leaves a floor for one lease: an answer still in flight that carries
 * the invalidated version (or an older one) is then not put, whichever of the two arrives first. Absent
 * paths are never kept. Times are {@code clock} nanoseconds.
 *
 * <p>Thread-safe: readers on any thread, invalidations from the node's {@link VersionHolder}.
 */
public final class VersionCache {
  private final long leaseNanos;
  private final int maxEntries;
  private final LongSupplier clock;
  private final Map<TfsPath, Entry> entries = new ConcurrentHashMap<>();
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder invalidations = new LongAdder();

  /**
   * One path: the version held (null when none) until {@code leaseUntil}, and the highest version
   * invalidated here ({@code floor}, -1 when none), remembered until {@code floorUntil}.
   */
  private record Entry(FileVersion version, long leaseUntil, long floor, long floorUntil) {
    boolean holds(long now) {
      return version != null && now - leaseUntil < 0;
    }

    long liveFloor(long now) {
      return now - floorUntil < 0 ? floor : -1;
    }

    boolean dead(long now) {
      return !holds(now) && liveFloor(now) < 0;
    }
  }

  public VersionCache(long leaseNanos, int maxEntries, LongSupplier clock) {
    this.leaseNanos = leaseNanos;
    this.maxEntries = maxEntries;
    this.clock = clock;
  }

  /** The clock's time now: what a caller records as it sends its ask, for {@link #offer}. */
  public long now() {
    return clock.getAsLong();
  }

  /** The version of {@code path} while its lease holds; empty (a miss) otherwise. */
  public Optional<FileVersion> lookup(TfsPath path) {
    Entry e = entries.get(path);
    if (e != null && e.holds(clock.getAsLong())) {
      hits.increment();
      return Optional.of(e.version);
    }
    misses.increment();
    return Optional.empty();
  }

  /**
   * Keeps {@code version}, given by its entity in answer to an ask sent at {@code askedAtNanos}, until
   * that time plus the lease; unless the lease is over already, a newer version is held, or an
   * invalidation of this version (or a newer one) arrived meanwhile.
   */
  public void offer(FileVersion version, long askedAtNanos) {
    long until = askedAtNanos + leaseNanos;
    long now = clock.getAsLong();
    if (now - until >= 0) return;
    entries.compute(version.path(), (path, old) -> {
      if (old == null) return new Entry(version, until, -1, now);
      long floor = old.liveFloor(now);
      if (version.version() <= floor) return old;
      if (old.holds(now) && old.version.version() >= version.version()) return old;
      return new Entry(version, until, floor, old.floorUntil);
    });
    if (entries.size() > maxEntries) trim(now, version.path());
  }

  /**
   * Drops {@code path}'s version when it is {@code version} or older (a newer one, given since, stays),
   * and refuses answers carrying those versions for one lease.
   */
  public void invalidate(TfsPath path, long version) {
    invalidations.increment();
    long now = clock.getAsLong();
    entries.compute(path, (p, old) -> {
      long floor = old == null ? version : Math.max(version, old.liveFloor(now));
      boolean keep = old != null && old.holds(now) && old.version.version() > version;
      return new Entry(keep ? old.version : null, keep ? old.leaseUntil : now, floor, now + leaseNanos);
    });
    if (entries.size() > maxEntries) trim(now, path);
  }

  /** Forgets every version (tests, and a node that wants every read to ask again). */
  public void clear() {
    entries.clear();
  }

  public long hits() {
    return hits.sum();
  }

  public long misses() {
    return misses.sum();
  }

  public long invalidations() {
    return invalidations.sum();
  }

  /** Paths with a version or a floor, live or not yet trimmed. */
  public int size() {
    return entries.size();
  }

  /**
   * Drops expired entries, then, while above nine tenths of the limit (so that trims are rare), versions
   * with no live floor. Live floors stay:
   * an answer in flight may carry the version they refuse (there are no more of them than invalidations
   * in one lease). {@code kept}, just put, stays.
   */
  private void trim(long now, TfsPath kept) {
    entries.values().removeIf(e -> e.dead(now));
    Iterator<Map.Entry<TfsPath, Entry>> it = entries.entrySet().iterator();
    int target = maxEntries - maxEntries / 10;
    while (entries.size() > target && it.hasNext()) {
      Map.Entry<TfsPath, Entry> e = it.next();
      if (!e.getKey().equals(kept) && e.getValue().liveFloor(now) < 0) it.remove();
    }
  }
}
