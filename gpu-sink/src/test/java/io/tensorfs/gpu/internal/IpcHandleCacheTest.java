package io.tensorfs.gpu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class IpcHandleCacheTest {
  private final List<String> closed = new ArrayList<>();
  private final AtomicInteger opened = new AtomicInteger();

  private static IpcKey key(int n) {
    byte[] b = new byte[64];
    b[0] = (byte) n;
    b[63] = (byte) (n * 7);
    return new IpcKey(b);
  }

  private String open(IpcKey k) {
    opened.incrementAndGet();
    return "m" + k.bytes()[0];
  }

  @Test
  void shouldOpenOnceAndReuseWhenTheSameHandleComesAgain() {
    IpcHandleCache<String> cache = new IpcHandleCache<>(4, closed::add);
    String first = cache.acquire(key(1), this::open);
    cache.release(key(1));
    String second = cache.acquire(new IpcKey(key(1).bytes()), this::open);
    assertSame(first, second);
    assertEquals(1, opened.get());
    assertEquals(1, cache.uses(key(1)));
  }

  @Test
  void shouldCloseTheLeastRecentlyUsedIdleEntryWhenOverCapacity() {
    IpcHandleCache<String> cache = new IpcHandleCache<>(2, closed::add);
    for (int i = 1; i <= 2; i++) {
      cache.acquire(key(i), this::open);
      cache.release(key(i));
    }
    cache.acquire(key(1), this::open); // 1 is now the most recent: 2 goes first
    cache.release(key(1));
    cache.acquire(key(3), this::open);
    assertEquals(List.of("m2"), closed);
    assertTrue(cache.contains(key(1)));
    assertFalse(cache.contains(key(2)));
    assertEquals(2, cache.size());
  }

  @Test
  void shouldNotCloseAnEntryInUseWhenOverCapacity() {
    IpcHandleCache<String> cache = new IpcHandleCache<>(1, closed::add);
    cache.acquire(key(1), this::open);
    cache.acquire(key(2), this::open);
    assertEquals(List.of(), closed, "both in use: the cache grows past its capacity");
    assertEquals(2, cache.size());
    cache.release(key(2));
    assertEquals(List.of("m2"), closed, "2 idle and over capacity, 1 still in use");
    cache.release(key(1));
    assertEquals(List.of("m2"), closed, "back within capacity");
    assertEquals(1, cache.size());
  }

  @Test
  void shouldCloseOnLastReleaseWhenSeveralCopiesShareAnEntry() {
    IpcHandleCache<String> cache = new IpcHandleCache<>(1, closed::add);
    cache.acquire(key(1), this::open);
    cache.acquire(key(1), this::open);
    cache.acquire(key(2), this::open);
    cache.release(key(2));
    cache.release(key(1));
    assertEquals(List.of("m2"), closed);
    assertEquals(1, cache.uses(key(1)));
    cache.acquire(key(3), this::open);
    cache.release(key(3));
    assertEquals(List.of("m2", "m3"), closed, "1 still used once");
    cache.release(key(1));
    assertEquals(List.of("m2", "m3"), closed);
    assertEquals(3, opened.get());
  }

  @Test
  void shouldLeaveTheCacheUnchangedWhenOpeningFails() {
    IpcHandleCache<String> cache = new IpcHandleCache<>(1, closed::add);
    cache.acquire(key(1), this::open);
    cache.release(key(1));
    assertThrows(IllegalStateException.class, () -> cache.acquire(key(2), k -> {
      throw new IllegalStateException("refused");
    }));
    assertEquals(1, cache.size());
    assertTrue(cache.contains(key(1)));
    assertEquals(List.of(), closed);
  }

  @Test
  void shouldRefuseAReleaseWhenTheHandleIsNotInUse() {
    IpcHandleCache<String> cache = new IpcHandleCache<>(2, closed::add);
    assertThrows(IllegalStateException.class, () -> cache.release(key(9)));
    cache.acquire(key(1), this::open);
    cache.release(key(1));
    assertThrows(IllegalStateException.class, () -> cache.release(key(1)));
  }

  @Test
  void shouldCloseEverythingWhenClosingAll() {
    IpcHandleCache<String> cache = new IpcHandleCache<>(4, closed::add);
    cache.acquire(key(1), this::open);
    cache.acquire(key(2), this::open);
    cache.release(key(2));
    cache.closeAll();
    assertEquals(2, closed.size());
    assertTrue(closed.containsAll(List.of("m1", "m2")));
    assertEquals(0, cache.size());
  }

  @Test
  void shouldRejectAZeroCapacityWhenBuilt() {
    assertThrows(IllegalArgumentException.class, () -> new IpcHandleCache<String>(0, closed::add));
  }
}
