package io.tensorfs.core.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.memory.PagePoolSettings.HugePages;
import io.tensorfs.core.memory.internal.HugePageProbe;
import io.tensorfs.core.memory.internal.NativeMemory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class PagePoolTest {
  private static final int MIB = 1 << 20;
  private static final Set<String> KINDS = Set.of("hugetlbfs", "thp", "thp-requested", "regular");

  private static PagePool pool(int pages, int pageBytes) {
    return PagePool.allocate(PagePoolSettings.regular((long) pages * pageBytes, pageBytes));
  }

  @ParameterizedTest
  @ValueSource(ints = {2 * MIB, 4 * MIB, 8 * MIB})
  void shouldAlignEveryPageToThePageSizeWhenAllocated(int pageBytes) {
    PagePool pool = pool(4, pageBytes);
    List<Page> pages = pool.tryAcquire(pool.pageCount());
    assertEquals(4, pages.size());
    Set<Integer> indexes = new HashSet<>();
    for (Page page : pages) {
      ByteBuffer b = page.buffer();
      assertTrue(b.isDirect());
      assertEquals(0, b.position());
      assertEquals(pageBytes, b.limit());
      assertEquals(pageBytes, b.capacity());
      long address = NativeMemory.address(b);
      assertEquals(page.address(), address);
      assertEquals(0, address % pageBytes, "page " + page.index() + " at " + Long.toHexString(address));
      indexes.add(page.index());
    }
    assertEquals(Set.of(0, 1, 2, 3), indexes);
  }

  @Test
  void shouldGiveEachPageItsOwnMemoryWhenWritten() {
    PagePool pool = pool(3, 2 * MIB);
    List<Page> pages = pool.tryAcquire(3);
    for (Page p : pages) p.buffer().putInt(2 * MIB - 4, 1000 + p.index());
    for (Page p : pages) assertEquals(1000 + p.index(), p.buffer().getInt(2 * MIB - 4));
    ByteBuffer region = pool.regions().get(0);
    assertEquals(6 * MIB, region.capacity());
    assertEquals(1000 + pages.get(0).index(), region.getInt((pages.get(0).index() + 1) * 2 * MIB - 4));
  }

  @Test
  void shouldTakeAllOrNothingWhenAcquiringSeveral() {
    PagePool pool = pool(4, 2 * MIB);
    List<Page> three = pool.tryAcquire(3);
    assertEquals(3, three.size());
    assertEquals(1, pool.freePages());
    assertTrue(pool.tryAcquire(2).isEmpty());
    assertEquals(1, pool.freePages(), "a refused request takes nothing");
    Page last = pool.tryAcquire();
    assertNotNull(last);
    assertNull(pool.tryAcquire());
    three.forEach(Page::release);
    last.release();
    assertEquals(4, pool.freePages());
    assertEquals(4, pool.tryAcquire(4).size());
  }

  @Test
  void shouldReturnPageOnlyWhenLastReferenceIsReleased() {
    PagePool pool = pool(2, 2 * MIB);
    Page page = pool.tryAcquire();
    assertEquals(1, page.refCount());
    page.retain().retain();
    assertEquals(3, page.refCount());
    page.release();
    page.release();
    assertEquals(1, pool.freePages(), "still held once");
    page.release();
    assertEquals(0, page.refCount());
    assertEquals(2, pool.freePages());
    assertThrows(IllegalStateException.class, page::release);
    assertThrows(IllegalStateException.class, page::retain);
    assertEquals(2, pool.freePages(), "a bad release changes nothing");
  }

  @Test
  void shouldKeepCountExactWhenThreadsAcquireAndReleaseConcurrently() throws Exception {
    PagePool pool = pool(8, 2 * MIB);
    ExecutorService threads = Executors.newFixedThreadPool(6);
    try {
      List<Future<Integer>> runs = new ArrayList<>();
      for (int t = 0; t < 6; t++) {
        runs.add(threads.submit(() -> {
          int got = 0;
          for (int i = 0; i < 20_000; i++) {
            List<Page> pages = i % 3 == 0 ? pool.tryAcquire(2) : listOf(pool.tryAcquire());
            for (Page p : pages) {
              p.retain();
              p.release();
              p.release();
              got++;
            }
          }
          return got;
        }));
      }
      int total = 0;
      for (Future<Integer> run : runs) total += run.get(60, TimeUnit.SECONDS);
      assertTrue(total > 0);
    } finally {
      threads.shutdownNow();
    }
    assertEquals(8, pool.freePages());
    List<Page> all = pool.tryAcquire(8);
    assertEquals(8, new HashSet<>(all.stream().map(Page::index).toList()).size(), "no page handed out twice");
  }

  private static List<Page> listOf(Page page) {
    return page == null ? List.of() : List.of(page);
  }

  @Test
  void shouldRejectBadSettings() {
    assertThrows(IllegalArgumentException.class, () -> PagePoolSettings.regular(8 * MIB, 1 * MIB));
    assertThrows(IllegalArgumentException.class, () -> PagePoolSettings.regular(256 * MIB, 128 * MIB));
    assertThrows(IllegalArgumentException.class, () -> PagePoolSettings.regular(8 * MIB, 3 * MIB));
    assertThrows(IllegalArgumentException.class, () -> PagePoolSettings.regular(0, 2 * MIB));
    assertThrows(IllegalArgumentException.class, () -> new PagePoolSettings(8 * MIB, 2 * MIB, null, null, true));
    assertThrows(IllegalArgumentException.class, () -> HugePages.parse("sometimes"));
  }

  @Test
  void shouldRoundCapacityDownToWholePagesWhenNotAMultiple() {
    assertEquals(8L * MIB, PagePoolSettings.regular(9L * MIB, 4 * MIB).capacityBytes());
    assertEquals(4L * MIB, PagePoolSettings.regular(1L * MIB, 4 * MIB).capacityBytes(), "at least one page");
    PagePool pool = PagePool.allocate(PagePoolSettings.regular(11L * MIB, 2 * MIB));
    assertEquals(5, pool.pageCount());
    assertEquals(10L * MIB, pool.capacityBytes());
  }

  @ParameterizedTest
  @EnumSource(value = HugePages.class, names = {"AUTO", "OFF"})
  void shouldReportAKnownMemoryKindWhenAllocated(HugePages mode) {
    PagePool pool = PagePool.allocate(new PagePoolSettings(8 * MIB, 2 * MIB, mode, null, true));
    assertTrue(KINDS.contains(pool.memoryKind()), pool.memoryKind());
    if (mode == HugePages.OFF) assertEquals("regular", pool.memoryKind());
    assertEquals(4, pool.freePages());
  }

  @Test
  void shouldGetTransparentHugePagesWhenTheKernelOffersThem() {
    String mode = HugePageProbe.transparentMode();
    PagePoolSettings settings = new PagePoolSettings(16 * MIB, 2 * MIB, HugePages.TRANSPARENT, null, true);
    if (mode.equals("never")) {
      assertThrows(IllegalStateException.class, () -> PagePool.allocate(settings));
      return;
    }
    PagePool pool = PagePool.allocate(settings);
    assertTrue(pool.memoryKind().startsWith("thp"), pool.memoryKind());
  }

  @Test
  void shouldTakeTransparentHugePagesWhereOfferedElseRegularMemoryAndNeverFail() {
    String mode = HugePageProbe.transparentMode();
    PagePool pool = PagePool.allocate(new PagePoolSettings(8 * MIB, 4 * MIB, HugePages.TRANSPARENT_OR_REGULAR, null, true));
    if (mode.equals("never")) {
      assertEquals("regular", pool.memoryKind());
    } else {
      assertTrue(pool.memoryKind().startsWith("thp"), "the kernel offers them (" + mode + "): " + pool.memoryKind());
    }
    assertEquals(2, pool.freePages());
  }

  @Test
  void shouldExplainWhenDirectMemoryIsExhausted() {
    long tooMuch = Runtime.getRuntime().maxMemory() * 4;
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> PagePool.allocate(PagePoolSettings.regular(tooMuch, 64 * MIB)));
    assertTrue(e.getMessage().contains("MaxDirectMemorySize"), e.getMessage());
  }
}
