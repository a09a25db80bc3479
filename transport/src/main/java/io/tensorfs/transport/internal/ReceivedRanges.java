package io.tensorfs.transport.internal;

/**
 * Which bytes of a transfer have arrived and been verified: a prefix from the start, and the ranges past
 * it that frames delivered ahead of their turn (TCP stripes may reorder them) filled. Adding a range
 * allocates nothing unless more than 16 ranges wait ahead of the prefix at once (a stripe far behind).
 *
 * <p>Owned by the engine's agent thread.
 */
final class ReceivedRanges {
  /** Verified ranges past the prefix, as sorted, disjoint, non-adjacent {@code [start, end)} pairs. */
  private long[] ahead = new long[32];
  private int aheadPairs;
  private long prefix;

  /** Bytes received from the start, in order. */
  long prefix() {
    return prefix;
  }

  /** Whether {@code [start, end)} overlaps nothing received (so a frame there may be written). */
  boolean free(long start, long end) {
    if (start < prefix) return false;
    for (int i = 0; i < aheadPairs; i++) {
      if (start < ahead[2 * i + 1] && ahead[2 * i] < end) return false;
    }
    return true;
  }

  /** Counts {@code [start, end)} as received; it must be {@link #free}. */
  void add(long start, long end) {
    if (start == prefix) {
      prefix = end;
      while (aheadPairs > 0 && ahead[0] == prefix) {
        prefix = ahead[1];
        System.arraycopy(ahead, 2, ahead, 0, 2 * --aheadPairs);
      }
      return;
    }
    int i = 0;
    while (i < aheadPairs && ahead[2 * i] < start) i++;
    boolean joinsBefore = i > 0 && ahead[2 * i - 1] == start;
    boolean joinsAfter = i < aheadPairs && ahead[2 * i] == end;
    if (joinsBefore && joinsAfter) {
      ahead[2 * i - 1] = ahead[2 * i + 1];
      System.arraycopy(ahead, 2 * i + 2, ahead, 2 * i, 2 * (aheadPairs - i - 1));
      aheadPairs--;
    } else if (joinsBefore) {
      ahead[2 * i - 1] = end;
    } else if (joinsAfter) {
      ahead[2 * i] = start;
    } else {
      if (2 * aheadPairs + 2 > ahead.length) ahead = java.util.Arrays.copyOf(ahead, 2 * ahead.length);
      System.arraycopy(ahead, 2 * i, ahead, 2 * i + 2, 2 * (aheadPairs - i));
      ahead[2 * i] = start;
      ahead[2 * i + 1] = end;
      aheadPairs++;
    }
  }
}
