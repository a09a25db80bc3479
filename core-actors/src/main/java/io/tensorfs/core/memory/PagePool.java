package io.tensorfs.core.memory;

import io.tensorfs.core.memory.internal.HostMemory;
import io.tensorfs.core.memory.internal.NativeMemory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Off-heap memory carved into large pages, taken once at start up to a configured capacity and never
 * moved or freed while the process lives, so a device may register its regions once (the GPU path
 * pins them with {@code cudaHostRegister}). Every page starts at a multiple of the page size, so an
 * O_DIRECT read can land straight in a page. Pages are handed out reference counted (see {@link Page}).
 *
 * <p>Thread-safe: the free list is guarded by one short lock, never held across anything but the list.
 */
public final class PagePool {
  private static final Logger log = LoggerFactory.getLogger(PagePool.class);

  private final int pageBytes;
  private final String memoryKind;
  private final List<ByteBuffer> regions;
  private final List<Page> pages;
  /** Indexes of free pages, used as a stack: a page freed last is handed out first, still warm. */
  private final int[] free;
  private int freeCount;

  private PagePool(PagePoolSettings settings, HostMemory.Allocation memory) {
    this.pageBytes = settings.pageBytes();
    this.memoryKind = memory.kind();
    this.regions = List.copyOf(memory.regions());
    List<Page> all = new ArrayList<>(settings.pageCount());
    for (ByteBuffer region : regions) {
      long base = NativeMemory.address(region);
      for (int at = 0; at < region.capacity(); at += pageBytes) {
        ByteBuffer page = region.duplicate().position(at).limit(at + pageBytes).slice();
        all.add(new Page(this, all.size(), page, base + at));
      }
    }
    this.pages = List.copyOf(all);
    this.free = new int[pages.size()];
    for (int i = 0; i < free.length; i++) free[i] = free.length - 1 - i;
    this.freeCount = free.length;
  }

  /**
   * Takes the pool's memory from the operating system (see {@link PagePoolSettings.HugePages}) and,
   * when {@code preTouch}, faults every page in. Blocks for as long as that takes: call at start.
   *
   * @throws IllegalStateException when the memory cannot be had; the message says what to change
   */
  public static PagePool allocate(PagePoolSettings settings) {
    PagePool pool = new PagePool(settings, HostMemory.allocate(settings));
    log.info("page pool: {} pages of {} bytes ({} bytes), {} memory", pool.pageCount(), pool.pageBytes,
        pool.capacityBytes(), pool.memoryKind);
    return pool;
  }

  public int pageBytes() {
    return pageBytes;
  }

  public long capacityBytes() {
    return (long) pageBytes * pages.size();
  }

  public int pageCount() {
    return pages.size();
  }

  public synchronized int freePages() {
    return freeCount;
  }

  /** {@code hugetlbfs}, {@code thp}, {@code thp-requested} (asked for, not seen) or {@code regular}. */
  public String memoryKind() {
    return memoryKind;
  }

  /** Views of the memory regions, in page order, for registering them with a device once. */
  public List<ByteBuffer> regions() {
    List<ByteBuffer> out = new ArrayList<>(regions.size());
    for (ByteBuffer r : regions) out.add(r.duplicate());
    return out;
  }

  /** A free page with one reference, or null when none is free. */
  public Page tryAcquire() {
    Page page;
    synchronized (this) {
      if (freeCount == 0) return null;
      page = pages.get(free[--freeCount]);
    }
    page.handOut();
    return page;
  }

  /** {@code n} free pages with one reference each, or an empty list when fewer are free (nothing is taken). */
  public List<Page> tryAcquire(int n) {
    if (n < 0) throw new IllegalArgumentException("cannot take " + n + " pages");
    List<Page> taken = new ArrayList<>(n);
    synchronized (this) {
      if (freeCount < n) return List.of();
      for (int i = 0; i < n; i++) taken.add(pages.get(free[--freeCount]));
    }
    for (Page page : taken) page.handOut();
    return taken;
  }

  /** Called by the last {@link Page#release()}. */
  void giveBack(Page page) {
    synchronized (this) {
      free[freeCount++] = page.index();
    }
  }

  @Override
  public String toString() {
    return "PagePool(" + pages.size() + " x " + pageBytes + " bytes, " + memoryKind + ")";
  }
}
