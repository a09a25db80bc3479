package io.tensorfs.core.memory.internal;

import io.tensorfs.core.memory.PagePoolSettings;
import io.tensorfs.core.memory.PagePoolSettings.HugePages;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the memory of a page pool from the operating system, once: regions of at most 1 GiB (a
 * ByteBuffer's capacity is an int), each starting at a multiple of the page size, backed by hugetlbfs
 * pages, transparent huge pages or regular memory as the settings ask and the machine offers. The
 * regions are never freed: they stay reachable from the pool for the life of the process.
 */
public final class HostMemory {
  private static final Logger log = LoggerFactory.getLogger(HostMemory.class);
  private static final long REGION_BYTES = 1L << 30;
  private static final int TOUCH_STRIDE = 4096;

  private HostMemory() {}

  /**
   * Regions of the pool's capacity, each a whole number of pages, and the kind of memory they are:
   * {@code hugetlbfs}, {@code thp}, {@code thp-requested} (asked for but not seen) or {@code regular}.
   */
  public record Allocation(List<ByteBuffer> regions, String kind) {}

  /** Why one kind of memory cannot be had. */
  private static final class Unavailable extends Exception {
    Unavailable(String reason) {
      super(reason, null, false, false);
    }
  }

  /**
   * @throws IllegalStateException when the memory cannot be had: direct memory exhausted, or a kind
   *                               the settings insist on is not offered
   */
  public static Allocation allocate(PagePoolSettings settings) {
    HugePages mode = settings.hugePages();
    if (mode == HugePages.AUTO || mode == HugePages.HUGETLBFS) {
      try {
        return hugetlbfs(settings);
      } catch (Unavailable e) {
        if (mode == HugePages.HUGETLBFS) throw new IllegalStateException("hugepages = hugetlbfs: " + e.getMessage());
        log.info("page pool: no hugetlbfs pages ({})", e.getMessage());
      }
    }
    if (mode == HugePages.AUTO || mode == HugePages.TRANSPARENT || mode == HugePages.TRANSPARENT_OR_REGULAR) {
      try {
        return transparent(settings);
      } catch (Unavailable e) {
        if (mode == HugePages.TRANSPARENT) throw new IllegalStateException("hugepages = transparent: " + e.getMessage());
        log.info("page pool: no transparent huge pages ({})", e.getMessage());
      }
    }
    List<ByteBuffer> regions = new ArrayList<>();
    for (long bytes : regionSizes(settings)) regions.add(direct(bytes, settings));
    if (settings.preTouch()) touch(regions);
    return new Allocation(regions, "regular");
  }

  private static Allocation hugetlbfs(PagePoolSettings settings) throws Unavailable {
    HugePageProbe.HugetlbfsMount mount = HugePageProbe.hugetlbfsMount(settings.hugetlbfsDir())
        .orElseThrow(() -> new Unavailable("no hugetlbfs mount in /proc/mounts"));
    long hugePage = mount.hugePageBytes();
    if (settings.pageBytes() % hugePage != 0) {
      throw new Unavailable("the page size is not a multiple of the " + hugePage + "-byte huge pages of " + mount.dir());
    }
    // The kernel aligns a mapping to the huge page only: the slack lets each region start on a page.
    long slack = settings.pageBytes() - hugePage;
    List<Long> sizes = regionSizes(settings);
    long need = 0;
    for (long bytes : sizes) need += bytes + slack;
    long free = HugePageProbe.freeHugePages(hugePage) * hugePage;
    if (free < need) throw new Unavailable(need + " bytes wanted, " + free + " free in huge pages");
    Path file;
    try {
      file = Files.createTempFile(mount.dir(), "tensorfs-pages-", ".map");
    } catch (IOException | RuntimeException e) {
      throw new Unavailable("cannot create a file in " + mount.dir() + ": " + e);
    }
    List<ByteBuffer> regions = new ArrayList<>();
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long at = 0;
      for (long bytes : sizes) {
        MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_WRITE, at, bytes + slack);
        at += bytes + slack;
        regions.add(mapped.alignedSlice(settings.pageBytes()).limit((int) bytes).slice());
      }
    } catch (IOException | RuntimeException e) {
      throw new Unavailable("mapping " + need + " bytes in " + mount.dir() + " failed: " + e);
    } finally {
      // The mappings keep the memory; the name is not needed and would outlive a crash.
      deleteQuietly(file);
    }
    if (settings.preTouch()) touch(regions);
    return new Allocation(regions, "hugetlbfs");
  }

  private static Allocation transparent(PagePoolSettings settings) throws Unavailable {
    String mode = HugePageProbe.transparentMode();
    if (!mode.equals("always") && !mode.equals("madvise")) {
      throw new Unavailable("transparent huge pages are '" + mode + "'");
    }
    boolean advise = mode.equals("madvise");
    if (advise && !NativeMemory.available()) throw new Unavailable("madvise cannot be called");
    long before = HugePageProbe.anonHugePagesBytes();
    List<ByteBuffer> regions = new ArrayList<>();
    for (long bytes : regionSizes(settings)) {
      ByteBuffer region = direct(bytes, settings);
      if (advise) advise(region);
      regions.add(region);
    }
    if (settings.preTouch()) touch(regions);
    long after = HugePageProbe.anonHugePagesBytes();
    return new Allocation(regions, before >= 0 && after > before ? "thp" : "thp-requested");
  }

  /**
   * allocateDirect zeroes the memory, which faults it in as small pages before the advice can apply;
   * dropping those pages lets the next touch fault huge ones (still zero-filled).
   */
  private static void advise(ByteBuffer region) throws Unavailable {
    String failure = NativeMemory.madvise(region, NativeMemory.MADV_HUGEPAGE);
    if (failure == null) failure = NativeMemory.madvise(region, NativeMemory.MADV_DONTNEED);
    if (failure != null) throw new Unavailable(failure);
  }

  /** Direct memory of {@code bytes} starting at a multiple of the page size. */
  private static ByteBuffer direct(long bytes, PagePoolSettings settings) {
    int align = settings.pageBytes();
    try {
      return ByteBuffer.allocateDirect((int) bytes + align).alignedSlice(align).limit((int) bytes).slice();
    } catch (OutOfMemoryError e) {
      throw new IllegalStateException("the page pool asked for " + (bytes + align) + " more bytes of direct memory ("
          + settings.capacityBytes() + " in all) and the JVM refused: raise -XX:MaxDirectMemorySize (it defaults"
          + " to -Xmx) or lower the cache capacity", e);
    }
  }

  /** Region sizes: 1 GiB each, the last one the rest; all whole pages since the page size divides 1 GiB. */
  static List<Long> regionSizes(PagePoolSettings settings) {
    List<Long> sizes = new ArrayList<>();
    for (long left = settings.capacityBytes(); left > 0; left -= REGION_BYTES) sizes.add(Math.min(left, REGION_BYTES));
    return sizes;
  }

  private static void touch(List<ByteBuffer> regions) {
    for (ByteBuffer region : regions) {
      for (int at = 0; at < region.capacity(); at += TOUCH_STRIDE) region.put(at, (byte) 0);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.warn("page pool: cannot remove {}: {}", file, e.toString());
    }
  }
}
