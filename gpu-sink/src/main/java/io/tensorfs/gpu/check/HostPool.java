package io.tensorfs.gpu.check;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A page pool like the node's: direct regions of at most 256 MiB, aligned to 4 KiB, cut into pages. The
 * regions are never freed while the program runs.
 */
final class HostPool {
  static final int ALIGN = 4096;

  final List<ByteBuffer> regions = new ArrayList<>();
  final List<ByteBuffer> pages = new ArrayList<>();
  final long bytes;

  HostPool(long bytes, int pageBytes, int regionBytes) {
    if (bytes % pageBytes != 0 || regionBytes % pageBytes != 0) {
      throw new IllegalArgumentException("sizes must be multiples of the page size " + pageBytes);
    }
    this.bytes = bytes;
    long left = bytes;
    while (left > 0) {
      int size = (int) Math.min(left, regionBytes);
      ByteBuffer region = ByteBuffer.allocateDirect(size + ALIGN).alignedSlice(ALIGN).limit(size).slice();
      regions.add(region);
      for (int off = 0; off < size; off += pageBytes) pages.add(region.slice(off, pageBytes));
      left -= size;
    }
  }

  /** Fills every page with a pattern that differs in every 8 bytes and between runs of different {@code seed}. */
  void fill(long seed) {
    long n = seed * 0x9E3779B97F4A7C15L;
    for (ByteBuffer page : pages) {
      for (int i = 0; i < page.capacity(); i += 8) {
        n += 0x9E3779B97F4A7C15L;
        long z = n;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        page.putLong(i, z ^ (z >>> 31));
      }
    }
  }

  void clear() {
    for (ByteBuffer region : regions) {
      for (int i = 0; i < region.capacity(); i += 8) region.putLong(i, 0L);
    }
  }

  /** The first byte index (over the whole pool) where this pool and {@code other} differ, or -1. */
  long mismatch(HostPool other) {
    long base = 0;
    for (int r = 0; r < regions.size(); r++) {
      int m = regions.get(r).duplicate().clear().mismatch(other.regions.get(r).duplicate().clear());
      if (m >= 0) return base + m;
      base += regions.get(r).capacity();
    }
    return -1;
  }
}
