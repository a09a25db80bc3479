package io.tensorfs.gpu.internal;

import java.util.Arrays;

/**
 * The host address ranges registered with the driver (the page pool), to tell whether a buffer lies in
 * one. Immutable and thread safe.
 */
public final class HostRegions {
  private static final HostRegions NONE = new HostRegions(new long[0], new long[0]);

  private final long[] starts;
  private final long[] ends;

  private HostRegions(long[] starts, long[] ends) {
    this.starts = starts;
    this.ends = ends;
  }

  public static HostRegions none() {
    return NONE;
  }

  /** Regions given as pairs {@code [start, bytes]}; they must not overlap. */
  public static HostRegions of(long[][] ranges) {
    long[][] sorted = ranges.clone();
    Arrays.sort(sorted, (a, b) -> Long.compare(a[0], b[0]));
    long[] starts = new long[sorted.length];
    long[] ends = new long[sorted.length];
    for (int i = 0; i < sorted.length; i++) {
      starts[i] = sorted[i][0];
      ends[i] = sorted[i][0] + sorted[i][1];
      if (i > 0 && starts[i] < ends[i - 1]) throw new IllegalArgumentException("host regions overlap");
    }
    return new HostRegions(starts, ends);
  }

  /** Whether {@code [address, address+bytes)} lies inside one region. */
  public boolean contains(long address, long bytes) {
    int i = Arrays.binarySearch(starts, address);
    if (i < 0) i = -i - 2;
    return i >= 0 && address + bytes <= ends[i];
  }

  public int count() {
    return starts.length;
  }

  public long totalBytes() {
    long total = 0;
    for (int i = 0; i < starts.length; i++) total += ends[i] - starts[i];
    return total;
  }
}
