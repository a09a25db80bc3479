package io.tensorfs.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.TfsPath;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The node's version cache, on a manual clock. */
class VersionCacheTest {
  private static final long LEASE = 5_000_000_000L;
  private static final TfsPath PATH = TfsPath.parse("/t/a/b.bin");

  private final AtomicLong clock = new AtomicLong(42);
  private final VersionCache cache = new VersionCache(LEASE, 1000, clock::get);

  private static FileVersion version(TfsPath path, long n) {
    return new FileVersion(path, FileId.random(), n, 10, 1024, Policy.PERSISTENT,
        List.of(new FileVersion.ChunkInfo(10, 7)), 7, 0);
  }

  @Test
  void shouldHitWithinTheLeaseCountedFromTheAsk() {
    FileVersion v = version(PATH, 1);
    long askedAt = cache.now();
    clock.addAndGet(1_000_000_000L); // the answer took a second

    cache.offer(v, askedAt);

    assertEquals(Optional.of(v), cache.lookup(PATH));
    clock.addAndGet(LEASE - 1_000_000_001L);
    assertEquals(Optional.of(v), cache.lookup(PATH), "one nanosecond before the lease ends");
    clock.addAndGet(1);
    assertEquals(Optional.empty(), cache.lookup(PATH), "the lease counts from the ask, not from the answer");
    assertEquals(2, cache.hits());
    assertEquals(1, cache.misses());
  }

  @Test
  void shouldNotKeepAnAnswerWhoseLeaseIsOverAlready() {
    long askedAt = cache.now();
    clock.addAndGet(LEASE);

    cache.offer(version(PATH, 1), askedAt);

    assertEquals(Optional.empty(), cache.lookup(PATH));
  }

  @Test
  void shouldMissAfterInvalidation() {
    cache.offer(version(PATH, 1), cache.now());

    cache.invalidate(PATH, 1);

    assertEquals(Optional.empty(), cache.lookup(PATH));
    assertEquals(1, cache.invalidations());
  }

  @Test
  void shouldRefuseAnAnswerInFlightThatCarriesTheInvalidatedVersion() {
    long askedAt = cache.now();
    // The entity's invalidation overtakes its answer to an ask sent before the replace.
    cache.invalidate(PATH, 1);

    cache.offer(version(PATH, 1), askedAt);

    assertEquals(Optional.empty(), cache.lookup(PATH));
    FileVersion v2 = version(PATH, 2);
    cache.offer(v2, cache.now());
    assertEquals(Optional.of(v2), cache.lookup(PATH), "the new version is kept");
  }

  @Test
  void shouldKeepTheNewerVersionWhenAnOlderAnswerArrivesLate() {
    long firstAsk = cache.now();
    FileVersion v2 = version(PATH, 2);
    cache.offer(v2, cache.now());

    cache.offer(version(PATH, 1), firstAsk);

    assertEquals(Optional.of(v2), cache.lookup(PATH));
  }

  @Test
  void shouldKeepANewerVersionWhenAnOlderOneIsInvalidated() {
    FileVersion v2 = version(PATH, 2);
    cache.offer(v2, cache.now());

    cache.invalidate(PATH, 1);

    assertEquals(Optional.of(v2), cache.lookup(PATH));
    cache.invalidate(PATH, 2);
    assertEquals(Optional.empty(), cache.lookup(PATH));
  }

  @Test
  void shouldKeepOtherPaths() {
    TfsPath other = TfsPath.parse("/t/a/c.bin");
    FileVersion kept = version(other, 3);
    cache.offer(version(PATH, 1), cache.now());
    cache.offer(kept, cache.now());

    cache.invalidate(PATH, 1);

    assertEquals(Optional.of(kept), cache.lookup(other));
  }

  @Test
  void shouldStayWithinItsLimit() {
    VersionCache small = new VersionCache(LEASE, 10, clock::get);

    for (int i = 0; i < 100; i++) small.offer(version(TfsPath.parse("/t/f" + i), 1), small.now());

    assertTrue(small.size() <= 10, "at most the limit: " + small.size());
    FileVersion last = version(TfsPath.parse("/t/last"), 1);
    small.offer(last, small.now());
    assertEquals(Optional.of(last), small.lookup(last.path()));
  }
}
