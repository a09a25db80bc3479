package io.tensorfs.core.memory;

import java.nio.file.Path;
import java.util.Locale;

/**
 * How much off-heap memory a {@link PagePool} takes at start, in pages of what size, and backed by
 * what kind of memory. Validated on construction. Immutable.
 *
 * @param capacityBytes bytes of the pool: rounded down to a whole number of pages, at least one page
 * @param pageBytes     bytes of one page: a power of two from 2 MiB to 64 MiB; every page starts at an
 *                      address that is a multiple of it
 * @param hugePages     which huge pages to try (see {@link HugePages})
 * @param hugetlbfsDir  a hugetlbfs mount to use; null to look only in {@code /proc/mounts}
 * @param preTouch      write one byte of every 4 KiB at start, so the memory is really there before
 *                      the first request
 */
public record PagePoolSettings(
    long capacityBytes, int pageBytes, HugePages hugePages, Path hugetlbfsDir, boolean preTouch) {

  public static final int MIN_PAGE_BYTES = 2 << 20;
  public static final int MAX_PAGE_BYTES = 64 << 20;

  /**
   * Which memory backs the pool. {@code AUTO} takes hugetlbfs pages when a mount has enough free ones,
   * else transparent huge pages when the kernel offers them, else regular memory. {@code HUGETLBFS}
   * and {@code TRANSPARENT} insist: the pool fails at start when that kind cannot be had.
   * {@code TRANSPARENT_OR_REGULAR} (for buffers besides the cache, not a setting) takes transparent huge
   * pages when the kernel offers them, else regular memory, and leaves hugetlbfs pages to the cache.
   */
  public enum HugePages {
    AUTO, HUGETLBFS, TRANSPARENT, TRANSPARENT_OR_REGULAR, OFF;

    /** {@code auto}, {@code hugetlbfs}, {@code transparent} (or {@code thp}), {@code off}. */
    public static HugePages parse(String text) {
      return switch (text.trim().toLowerCase(Locale.ROOT)) {
        case "auto" -> AUTO;
        case "hugetlbfs" -> HUGETLBFS;
        case "transparent", "thp" -> TRANSPARENT;
        case "off", "false", "no", "none" -> OFF;
        default -> throw new IllegalArgumentException(
            "hugepages must be auto, hugetlbfs, transparent or off, not '" + text + "'");
      };
    }
  }

  public PagePoolSettings {
    if (pageBytes < MIN_PAGE_BYTES || pageBytes > MAX_PAGE_BYTES || Integer.bitCount(pageBytes) != 1) {
      throw new IllegalArgumentException(
          "page size must be a power of two from 2 MiB to 64 MiB, not " + pageBytes + " bytes");
    }
    if (capacityBytes <= 0) {
      throw new IllegalArgumentException("capacity must be positive, not " + capacityBytes + " bytes");
    }
    if (hugePages == null) throw new IllegalArgumentException("hugepages must be auto, hugetlbfs, transparent or off");
    long pages = Math.max(1, capacityBytes / pageBytes);
    if (pages > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("capacity of " + capacityBytes + " bytes is too many pages");
    }
    capacityBytes = pages * pageBytes;
  }

  /** Regular memory, pre-touched: a start for tests. */
  public static PagePoolSettings regular(long capacityBytes, int pageBytes) {
    return new PagePoolSettings(capacityBytes, pageBytes, HugePages.OFF, null, true);
  }

  public PagePoolSettings withHugePages(HugePages kind) {
    return new PagePoolSettings(capacityBytes, pageBytes, kind, hugetlbfsDir, preTouch);
  }

  public int pageCount() {
    return (int) (capacityBytes / pageBytes);
  }
}
