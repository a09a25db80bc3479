package io.tensorfs.sharding.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.memory.PagePool;
import io.tensorfs.core.memory.PagePoolSettings;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The grain allocator of KV blocks: the memory bound per block, layout, reuse of fragmented memory, bounds. */
class KvSlabTest {
  private static final int PAGE = 4 << 20;
  private final PagePool pool = PagePool.allocate(PagePoolSettings.regular(24L << 20, PAGE));

  private static long bytesOf(List<KvExtent> extents) {
    return extents.stream().mapToLong(KvExtent::bytes).sum();
  }

  @Test
  void shouldKeepEveryBlockFrom256KiBWithinItsSizePlusFivePercent() {
    KvSlab slab = new KvSlab(KvPages.from(pool), 24L << 20);
    long[] sizes = {256 << 10, (256 << 10) + 1, 300_001, 1 << 20, (1 << 20) + 4097, 4 << 20, 5_000_000, 16 << 20};
    for (long size : sizes) {
      List<KvExtent> e = slab.allocate(size);
      assertNotNull(e, "room for " + size);
      long memory = bytesOf(e);
      assertTrue(memory >= size, "enough memory for " + size);
      assertTrue(memory <= size + size / 20, size + " bytes take " + memory);
      assertTrue(memory - size < KvSlab.GRAIN_BYTES, "rounded up to one 4 KiB grain at most");
      slab.free(e);
    }
    assertEquals(0, slab.allocatedBytes());
    assertEquals(0, slab.pagesHeld());
  }

  @Test
  void shouldPackSmallBlocksIntoSharedPagesAndSpanPagesWithLargeOnes() {
    KvSlab slab = new KvSlab(KvPages.from(pool), 24L << 20);
    List<List<KvExtent>> quarter = new ArrayList<>();
    for (int i = 0; i < 16; i++) quarter.add(slab.allocate(256 << 10));
    assertEquals(1, slab.pagesHeld(), "sixteen 256 KiB blocks share one 4 MiB page");
    for (List<KvExtent> e : quarter) assertEquals(1, e.size(), "a small block is one run");
    List<KvExtent> big = slab.allocate(16 << 20);
    assertEquals(4, big.size(), "a 16 MiB block spans four whole pages");
    assertEquals(5, slab.pagesHeld());
    Set<String> seen = new HashSet<>();
    for (List<KvExtent> e : quarter) for (KvExtent x : e) assertTrue(seen.add(x.page().index() + "/" + x.grain()), "no overlap");
  }

  @Test
  void shouldReuseFragmentedFreeMemoryForALargerBlock() {
    KvSlab slab = new KvSlab(KvPages.from(pool), 4L << 20); // one page
    List<List<KvExtent>> blocks = new ArrayList<>();
    for (int i = 0; i < 16; i++) blocks.add(slab.allocate(256 << 10));
    assertNull(slab.allocate(4096), "full");
    for (int i = 0; i < 16; i += 2) slab.free(blocks.get(i)); // every other block: 8 holes of 256 KiB
    List<KvExtent> wide = slab.allocate(1 << 20);
    assertNotNull(wide, "1 MiB fits in four holes though no hole is 1 MiB");
    assertEquals(4, wide.size());
    assertEquals(1 << 20, bytesOf(wide));
    List<KvExtent> fits = slab.allocate(256 << 10);
    assertEquals(1, fits.size(), "a block that fits a hole takes one run");
    assertEquals(1, slab.pagesHeld());
  }

  @Test
  void shouldStayWithinItsBytesAndGiveEmptyPagesBack() {
    int free = pool.freePages();
    KvSlab slab = new KvSlab(KvPages.from(pool), 6L << 20);
    List<KvExtent> a = slab.allocate(4 << 20);
    assertNull(slab.allocate(3 << 20), "past 6 MiB");
    List<KvExtent> b = slab.allocate(2 << 20);
    assertEquals(2, slab.pagesHeld());
    assertEquals(free - 2, pool.freePages());
    slab.free(a);
    assertEquals(free - 1, pool.freePages());
    slab.free(b);
    assertEquals(free, pool.freePages());
    assertTrue(new KvSlab(KvPages.from(pool), 6L << 20).couldHold(6 << 20));
  }

  @Test
  void shouldFailCleanlyWhenThePoolHasNoPageLeft() {
    List<io.tensorfs.core.memory.Page> taken = pool.tryAcquire(pool.freePages());
    try {
      KvSlab slab = new KvSlab(KvPages.from(pool), 24L << 20);
      assertNull(slab.allocate(1 << 20));
      assertEquals(0, slab.allocatedBytes());
    } finally {
      taken.forEach(io.tensorfs.core.memory.Page::release);
    }
  }
}
