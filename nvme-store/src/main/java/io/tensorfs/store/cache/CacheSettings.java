package io.tensorfs.store.cache;

import com.typesafe.config.Config;
import io.tensorfs.core.memory.PagePoolSettings;
import io.tensorfs.core.memory.PagePoolSettings.HugePages;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The settings of a node's memory cache, read once from {@code tensorfs.cache} and validated.
 * Immutable.
 *
 * @param capacityBytes    memory of the cache, taken at start: a whole number of pages
 * @param pageBytes        bytes of one page: a power of two from 2 MiB to 64 MiB
 * @param hugePages        which huge pages back the memory
 * @param hugetlbfsDir     the hugetlbfs mount to prefer; null to take the first one listed
 * @param preTouch         fault every page in at start
 * @param flushParallelism dirty chunks written to their stores at once
 * @param flushRetry       how long a failed flush waits before it is tried again
 * @param flushDelay       how long a write-back chunk stays only in memory before its flush starts
 */
public record CacheSettings(
    long capacityBytes,
    int pageBytes,
    HugePages hugePages,
    Path hugetlbfsDir,
    boolean preTouch,
    int flushParallelism,
    Duration flushRetry,
    Duration flushDelay) {

  /** The config section these settings are read from. */
  public static final String SECTION = "tensorfs.cache";

  public CacheSettings {
    require(flushParallelism >= 1, "flush-parallelism must be at least 1, not " + flushParallelism);
    require(flushRetry != null && !flushRetry.isNegative() && !flushRetry.isZero(), "flush-retry must be positive");
    require(flushDelay != null && !flushDelay.isNegative(), "flush-delay must not be negative");
    try {
      PagePoolSettings pool = new PagePoolSettings(capacityBytes, pageBytes, hugePages, hugetlbfsDir, preTouch);
      capacityBytes = pool.capacityBytes();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(SECTION + ": " + e.getMessage(), e);
    }
  }

  /** Reads and validates {@code tensorfs.cache} of {@code config}. Throws IllegalArgumentException. */
  public static CacheSettings fromConfig(Config config) {
    Config c = config.getConfig(SECTION);
    long pageBytes = c.getBytes("page-size");
    require(pageBytes > 0 && pageBytes <= Integer.MAX_VALUE, "page-size out of range: " + pageBytes);
    String dir = c.hasPath("hugetlbfs-dir") ? c.getString("hugetlbfs-dir").trim() : "";
    return new CacheSettings(
        c.getBytes("capacity"),
        (int) pageBytes,
        parseHugePages(c.getString("hugepages")),
        dir.isEmpty() ? null : Path.of(dir),
        c.getBoolean("pre-touch"),
        c.getInt("flush-parallelism"),
        c.getDuration("flush-retry"),
        c.getDuration("flush-delay"));
  }

  /** Regular memory of {@code pages} pages of 2 MiB, flushing two at a time: a start for tests. */
  public static CacheSettings small(int pages) {
    return new CacheSettings((long) pages * PagePoolSettings.MIN_PAGE_BYTES, PagePoolSettings.MIN_PAGE_BYTES,
        HugePages.OFF, null, true, 2, Duration.ofMillis(100), Duration.ZERO);
  }

  public CacheSettings withFlushRetry(Duration retry) {
    return new CacheSettings(capacityBytes, pageBytes, hugePages, hugetlbfsDir, preTouch, flushParallelism, retry,
        flushDelay);
  }

  public CacheSettings withFlushDelay(Duration delay) {
    return new CacheSettings(capacityBytes, pageBytes, hugePages, hugetlbfsDir, preTouch, flushParallelism, flushRetry,
        delay);
  }

  /** The page pool these settings ask for. */
  public PagePoolSettings poolSettings() {
    return new PagePoolSettings(capacityBytes, pageBytes, hugePages, hugetlbfsDir, preTouch);
  }

  private static HugePages parseHugePages(String text) {
    try {
      return HugePages.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(SECTION + "." + e.getMessage(), e);
    }
  }

  private static void require(boolean ok, String message) {
    if (!ok) throw new IllegalArgumentException(SECTION + ": " + message);
  }
}
